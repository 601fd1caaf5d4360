import type { MqttClient } from 'mqtt';

interface Entry {
  messageId: number;
  generation: number;
  done: boolean;
  ok: boolean;
  /** The PUBACK mqtt.js wanted to send, held until the message is processed. */
  packet: Record<string, unknown> | null;
}

type SendPacket = (packet: Record<string, unknown>, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/**
 * PUBACK after processing, without handling one message at a time. mqtt.js sends a QoS 1 PUBACK when the
 * message handler finishes and reads the next packet only after that, so waiting for a commit there allows one
 * message per commit (~100/s). Instead the PUBACK mqtt.js writes is held here and the connection moves on;
 * each held PUBACK goes out once its message is processed (committed), in the order the messages arrived —
 * [MQTT-4.6.0-2]: a client sends PUBACKs in the order the PUBLISH packets were received. The broker's
 * in-flight window (Receive Maximum) bounds how many messages wait.
 *
 * A message whose processing failed is never acknowledged: the connection is recycled so that a broker
 * holding a persistent session delivers it again. PUBACKs of a previous connection are dropped (their packet
 * ids mean nothing to the new session; the broker redelivers those messages).
 *
 * This replaces mqtt.js's private `_sendPacket` on the one client; if a future mqtt.js renames it, nothing
 * is held (PUBACK on receipt, as mqtt.js does by default) and `holding` says so.
 */
export class AckSequencer {
  /** Entries in arrival order, from `head` on (a deque without shifting: at high rates the queue is long). */
  private queue: Entry[] = [];
  private head = 0;
  /** Entries whose PUBACK mqtt.js has not asked to send yet, by packet id (unique among unacknowledged ones). */
  private readonly awaitingPacket = new Map<number, Entry>();
  private generation = 0;
  private readonly send: SendPacket | null;
  readonly holding: boolean;

  constructor(
    private readonly client: MqttClient,
    private readonly onFailure: () => void,
  ) {
    const c = client as unknown as { _sendPacket?: SendPacket };
    const original = typeof c._sendPacket === 'function' ? c._sendPacket.bind(client) : null;
    this.send = original;
    this.holding = original !== null;
    if (!original) return;
    c._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback') {
        const entry = this.awaitingPacket.get(packet.messageId as number);
        if (entry) {
          this.awaitingPacket.delete(entry.messageId);
          entry.packet = packet;
          cb?.();
          this.flush();
          return;
        }
      }
      original(packet, cb, ...rest);
    };
  }

  /** A new connection: what is still held belongs to the old one. */
  reset(): void {
    this.generation++;
    this.queue = [];
    this.head = 0;
    this.awaitingPacket.clear();
  }

  /** Registers a QoS 1 message as it arrives; call complete() when it is processed. */
  receive(messageId: number): Entry {
    const entry: Entry = { messageId, generation: this.generation, done: false, ok: false, packet: null };
    if (this.holding) {
      this.queue.push(entry);
      this.awaitingPacket.set(messageId, entry);
    }
    return entry;
  }

  complete(entry: Entry, ok: boolean): void {
    entry.done = true;
    entry.ok = ok;
    if (!ok && entry.generation === this.generation) this.onFailure();
    this.flush();
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  private flush(): void {
    while (this.head < this.queue.length) {
      const head = this.queue[this.head] as Entry;
      if (!head.done || (head.ok && head.packet === null)) break;
      this.head++;
      if (!head.ok) this.awaitingPacket.delete(head.messageId);
      if (head.ok && head.packet && head.generation === this.generation && this.client.connected)
        this.send?.(head.packet, () => undefined);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
