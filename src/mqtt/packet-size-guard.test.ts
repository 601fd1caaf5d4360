import { PassThrough } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketSizeGuard } from './packet-size-guard.js';

const publish = (payloadBytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 't/x',
    payload: Buffer.alloc(payloadBytes, 1),
    qos: 0,
    dup: false,
    retain: false,
  });

/** Reads the socket the way Aedes does: read(null) on 'readable'. */
function guarded(max: number) {
  const socket = new PassThrough();
  const oversized: number[] = [];
  new PacketSizeGuard(max, (n) => oversized.push(n)).attach(socket);
  const received: Buffer[] = [];
  socket.on('readable', () => {
    for (let chunk = socket.read(); chunk !== null; chunk = socket.read()) received.push(chunk as Buffer);
  });
  socket.on('error', () => {});
  return { socket, oversized, received: () => Buffer.concat(received) };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('PacketSizeGuard', () => {
  it('passes packets under the limit through unchanged, also when split across chunks', async () => {
    const { socket, received, oversized } = guarded(1000);
    const bytes = Buffer.concat([publish(10), publish(300), publish(0)]);
    for (let i = 0; i < bytes.length; i += 7) {
      socket.write(bytes.subarray(i, i + 7));
      await tick();
    }
    expect(received().equals(bytes)).toBe(true);
    expect(oversized).toEqual([]);
  });

  it('closes the connection on the header of an oversized packet, before its body arrives', async () => {
    const { socket, oversized, received } = guarded(1000);
    const ok = publish(10);
    const big = publish(200_000);
    socket.write(Buffer.concat([ok, big.subarray(0, 8)]));
    await tick();
    expect(oversized).toEqual([big.length]);
    expect(socket.destroyed).toBe(true);
    expect(received().equals(ok)).toBe(true);
  });
});
