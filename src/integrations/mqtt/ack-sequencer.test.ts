import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { AckSequencer } from './ack-sequencer.js';

/** A stand-in for mqtt.js: records the packets written, and asks for a PUBACK as mqtt.js does on receipt. */
function fakeClient() {
  const written: number[] = [];
  const client = {
    connected: true,
    _sendPacket(packet: { cmd: string; messageId: number }, cb?: () => void) {
      if (packet.cmd === 'puback') written.push(packet.messageId);
      cb?.();
    },
  };
  return { client, written, as: client as unknown as MqttClient };
}

function arrive(seq: AckSequencer, client: ReturnType<typeof fakeClient>['client'], id: number) {
  const entry = seq.receive(id);
  let continued = false;
  client._sendPacket({ cmd: 'puback', messageId: id }, () => {
    continued = true;
  });
  // mqtt.js reads the next packet as soon as its PUBACK callback ran: it must not wait for processing.
  expect(continued).toBe(true);
  return entry;
}

describe('AckSequencer', () => {
  it('holds each PUBACK until its message is processed, and sends them in arrival order [MQTT-4.6.0-2]', () => {
    const f = fakeClient();
    const failures: number[] = [];
    const seq = new AckSequencer(f.as, () => failures.push(1));
    expect(seq.holding).toBe(true);
    const [a, b, c] = [1, 2, 3].map((id) => arrive(seq, f.client, id));
    expect(f.written).toEqual([]);
    seq.complete(c!, true);
    seq.complete(b!, true);
    expect(f.written).toEqual([]);
    seq.complete(a!, true);
    expect(f.written).toEqual([1, 2, 3]);
    expect(seq.waiting).toBe(0);
    expect(failures).toEqual([]);
  });

  it('never acknowledges a message whose processing failed, and says so', () => {
    const f = fakeClient();
    let recycled = 0;
    const seq = new AckSequencer(f.as, () => recycled++);
    const [a, b] = [7, 8].map((id) => arrive(seq, f.client, id));
    seq.complete(b!, true);
    seq.complete(a!, false);
    expect(f.written).toEqual([8]);
    expect(recycled).toBe(1);
  });

  it('drops what a previous connection held: its packet ids mean nothing to the new session', () => {
    const f = fakeClient();
    const seq = new AckSequencer(f.as, () => undefined);
    const old = arrive(seq, f.client, 1);
    seq.reset();
    const fresh = arrive(seq, f.client, 1);
    seq.complete(old, true);
    expect(f.written).toEqual([]);
    seq.complete(fresh, true);
    expect(f.written).toEqual([1]);
  });

  it('keeps the order over a long backlog (50,000 held)', () => {
    const f = fakeClient();
    const seq = new AckSequencer(f.as, () => undefined);
    const entries = Array.from({ length: 50_000 }, (_, i) => arrive(seq, f.client, (i % 65_535) + 1));
    for (let i = entries.length - 1; i >= 1; i--) seq.complete(entries[i]!, true);
    expect(f.written.length).toBe(0);
    seq.complete(entries[0]!, true);
    expect(f.written.length).toBe(50_000);
  });
});
