import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { AckLane } from './ack-lane.js';

/** Just what the lane touches of an mqtt.js client: its stream, connected flag and packet writer. */
function fakeClient() {
  const acks: number[] = [];
  const client = {
    stream: {},
    connected: true,
    _sendPacket: (p: { messageId: number }) => acks.push(p.messageId),
  };
  return { client, acks, asMqtt: client as unknown as MqttClient };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('AckLane', () => {
  it('acknowledges each message after its commit, in arrival order, with commits in parallel', async () => {
    const { acks, asMqtt } = fakeClient();
    const lane = new AckLane(asMqtt, () => undefined);
    const commits = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    commits.forEach((c, i) => {
      void lane.push(
        async () => i,
        (n) => {
          started.push(n);
          return c.promise;
        },
        i + 1,
      );
    });
    await tick();
    expect(started).toEqual([0, 1, 2]); // all three routed before any commit landed
    commits[2]?.resolve();
    commits[1]?.resolve();
    await tick();
    expect(acks).toEqual([]); // [MQTT-4.6.0-2]: not before the first one
    commits[0]?.resolve();
    await lane.drained();
    expect(acks).toEqual([1, 2, 3]);
  });

  it('starts routing in arrival order even when identifying a later message is faster', async () => {
    const { asMqtt } = fakeClient();
    const lane = new AckLane(asMqtt, () => undefined);
    const slow = deferred();
    const routed: string[] = [];
    void lane.push(
      () => slow.promise.then(() => 'first'),
      async (id) => {
        routed.push(id);
      },
      1,
    );
    void lane.push(
      async () => 'second',
      async (id) => {
        routed.push(id);
      },
      2,
    );
    await tick();
    expect(routed).toEqual([]);
    slow.resolve();
    await lane.drained();
    expect(routed).toEqual(['first', 'second']);
  });

  it('after a failed commit acknowledges nothing more on that connection, and reports it', async () => {
    const { acks, asMqtt } = fakeClient();
    const failures: unknown[] = [];
    const lane = new AckLane(asMqtt, (err) => failures.push(err));
    lane
      .push(
        async () => 1,
        async () => undefined,
        1,
      )
      .catch(() => undefined);
    lane
      .push(
        async () => 2,
        async () => {
          throw new Error('database is down');
        },
        2,
      )
      .catch(() => undefined);
    lane
      .push(
        async () => 3,
        async () => undefined,
        3,
      )
      .catch(() => undefined);
    await lane.drained();
    expect(acks).toEqual([1]);
    expect(failures).toHaveLength(1);
  });

  it('never acknowledges on a newer connection: the message id may name another message there', async () => {
    const { client, acks, asMqtt } = fakeClient();
    const lane = new AckLane(asMqtt, () => undefined);
    const commit = deferred();
    void lane.push(
      async () => 1,
      () => commit.promise,
      7,
    );
    client.stream = {}; // reconnected meanwhile
    commit.resolve();
    await lane.drained();
    expect(acks).toEqual([]);
    void lane.push(
      async () => 1,
      async () => undefined,
      8,
    );
    await lane.drained();
    expect(acks).toEqual([8]);
  });
});
