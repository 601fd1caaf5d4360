import type { Duplex } from 'node:stream';

/**
 * Watches a client connection's packet boundaries and closes it as soon as a packet's fixed header (MQTT 3.1.1
 * §2.2: one type byte, then the Remaining Length as a 1–4 byte variable integer, §2.2.3) announces more than
 * `maxPacketSize` bytes — before the MQTT parser buffers the body, which could otherwise hold up to 256 MB per
 * connection. MQTT 5 specifies the same outcome for a packet over the Maximum Packet Size (§3.1.2.11.4: the
 * receiver disconnects); 3.1.1 has no way to refuse one packet.
 *
 * Aedes pulls bytes with `conn.read()`, so the guard wraps that one method on the socket instead of putting a
 * stream in between: reads are inspected, writes (every PUBACK) go straight to the socket.
 */
export class PacketSizeGuard {
  /** Bytes of the current packet body still to pass; -1 while reading a fixed header. */
  private remaining = -1;
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(
    private readonly maxPacketSize: number,
    private readonly onOversize: (announced: number) => void,
  ) {}

  /** Installs the guard on a connection and returns it, for `aedes.handle(guard.attach(socket))`. */
  attach<T extends Duplex>(socket: T): T {
    const read = socket.read.bind(socket);
    let tripped = false;
    socket.read = (size?: number) => {
      if (tripped) return null;
      const chunk = read(size) as Buffer | null;
      if (chunk === null) return null;
      const cut = this.inspect(chunk);
      if (cut === -1) return chunk;
      // Whole packets before the oversized one still reach the parser; then the connection closes.
      tripped = true;
      setImmediate(() => socket.destroy());
      return cut > 0 ? chunk.subarray(0, cut) : null;
    };
    return socket;
  }

  /**
   * Walks the chunk's packet boundaries. Returns -1 when all is well, or the offset in this chunk where an
   * oversized packet starts (0 when its header began in an earlier chunk).
   */
  inspect(chunk: Buffer): number {
    let i = 0;
    let packetStart = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      if (this.remaining === 0) this.remaining = -1;
      if (this.headerBytes === 0) {
        // Packet type byte.
        packetStart = i;
        this.headerBytes = 1;
        this.length = 0;
        this.multiplier = 1;
        i++;
        continue;
      }
      const byte = chunk[i++] as number;
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.headerBytes++;
      if ((byte & 0x80) !== 0 && this.headerBytes < 5) continue;
      // Fixed header complete: 1 type byte + (headerBytes - 1) length bytes.
      const total = this.headerBytes + this.length;
      this.headerBytes = 0;
      if (total > this.maxPacketSize) {
        this.onOversize(total);
        return packetStart;
      }
      this.remaining = this.length;
    }
    if (this.remaining === 0) this.remaining = -1;
    return -1;
  }
}
