import mqtt from 'mqtt';
import sparkplug from 'sparkplug-client';
import spb from 'sparkplug-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';

const codec = spb.get('spBv1.0') as {
  encodePayload: (p: unknown) => Uint8Array;
  decodePayload: (b: Uint8Array) => { metrics: { name: string; value: unknown }[] };
};

describe('Sparkplug B edge nodes (Eclipse Tahu sparkplug-client)', () => {
  let t: TestApp;
  let apiKey: string;
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    t = await startTestApp({}, { mqtt: true });
    apiKey = (
      await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'edge gateway', role: 'operator' } })
    ).body.key;
  });
  afterAll(async () => {
    for (const stop of stops) stop();
    await t.close();
  });

  const device = async (id: string) => t.api(`/api/v1/devices/${encodeURIComponent(id)}`, { token: t.adminToken });
  const latest = async (id: string) =>
    (await t.api(`/api/v1/telemetry/${encodeURIComponent(id)}/latest`, { token: t.adminToken })).body.values;

  /**
   * An edge node (the API key) that listens to its NCMD and has sent its NBIRTH (seq 0, metric Level = 1.5 with
   * alias 1); answers its connection and the commands it received.
   */
  const bornEdgeNode = async (group: string, node: string) => {
    const edge = await mqtt.connectAsync(t.mqttUrl, { username: apiKey, reconnectPeriod: 0 });
    stops.push(() => edge.end(true));
    const commands: { topic: string; metrics: { name: string; value: unknown }[] }[] = [];
    edge.on('message', (topic, payload) => commands.push({ topic, metrics: codec.decodePayload(payload).metrics }));
    await edge.subscribeAsync(`spBv1.0/${group}/NCMD/${node}/#`, { qos: 0 });
    const birth = {
      timestamp: Date.now(),
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: 0 },
        { name: 'Level', type: 'Double', value: 1.5, alias: 1 },
      ],
    };
    await edge.publishAsync(`spBv1.0/${group}/NBIRTH/${node}`, Buffer.from(codec.encodePayload(birth)), { qos: 1 });
    return { edge, commands };
  };

  it('registers the edge node and its devices on birth, stores metrics, and follows deaths', async () => {
    const client = sparkplug.newClient({
      serverUrl: t.mqttUrl.replace('mqtt://', 'tcp://'),
      username: apiKey,
      password: 'unused',
      groupId: 'Plant1',
      edgeNode: 'Line4',
      clientId: 'tahu-line4',
      version: 'spBv1.0',
      publishDeath: true,
    });
    stops.push(() => client.stop());
    await new Promise<void>((resolve) => {
      client.on('birth', () => {
        client.publishNodeBirth({
          timestamp: Date.now(),
          metrics: [{ name: 'Node Uptime', value: 12, type: 'Int32' }],
        });
        client.publishDeviceBirth('Press7', {
          timestamp: Date.now(),
          metrics: [
            { name: 'Inputs/Temperature', value: 71.5, type: 'Float' },
            { name: 'Running', value: true, type: 'Boolean' },
          ],
        });
        resolve();
      });
    });

    await expect.poll(async () => (await device('Plant1:Line4:Press7')).status).toBe(200);
    const node = (await device('Plant1:Line4')).body;
    expect(node).toMatchObject({ device_type: 'sparkplug-edge-node', protocol: 'sparkplug', status: 'online' });
    const press = (await device('Plant1:Line4:Press7')).body;
    expect(press).toMatchObject({ name: 'Press7', device_type: 'sparkplug-device', status: 'online' });
    expect(press.metadata.sparkplug).toEqual({ group: 'Plant1', edge_node: 'Line4', device: 'Press7' });
    await expect
      .poll(async () => (await latest('Plant1:Line4:Press7'))['Inputs.Temperature']?.value)
      .toBeCloseTo(71.5, 3);

    client.publishDeviceData('Press7', {
      timestamp: Date.now(),
      metrics: [{ name: 'Inputs/Temperature', value: 80.25, type: 'Float' }],
    });
    await expect
      .poll(async () => (await latest('Plant1:Line4:Press7'))['Inputs.Temperature']?.value)
      .toBeCloseTo(80.25, 3);
    expect((await latest('Plant1:Line4'))['Node Uptime'].value).toBe(12);

    client.publishDeviceDeath('Press7', { timestamp: Date.now() });
    await expect.poll(async () => (await device('Plant1:Line4:Press7')).body.status).toBe('offline');
    expect((await device('Plant1:Line4')).body.status).toBe('online');
  });

  it('asks for a rebirth (NCMD Node Control/Rebirth) on a seq gap', async () => {
    const { edge, commands } = await bornEdgeNode('Plant2', 'Gap1');
    await edge.publishAsync(
      'spBv1.0/Plant2/NDATA/Gap1',
      Buffer.from(
        codec.encodePayload({ timestamp: Date.now(), seq: 1, metrics: [{ alias: 1, type: 'Double', value: 2.5 }] }),
      ),
      { qos: 1 },
    );
    await edge.publishAsync(
      'spBv1.0/Plant2/NDATA/Gap1',
      Buffer.from(
        codec.encodePayload({ timestamp: Date.now(), seq: 5, metrics: [{ alias: 1, type: 'Double', value: 3.5 }] }),
      ),
      { qos: 1 },
    );
    await expect.poll(() => commands.length).toBeGreaterThan(0);
    expect(commands[0]?.topic).toBe('spBv1.0/Plant2/NCMD/Gap1');
    expect(commands[0]?.metrics).toContainEqual(expect.objectContaining({ name: 'Node Control/Rebirth', value: true }));
    // Data before the gap was resolved by alias and kept.
    expect((await latest('Plant2:Gap1')).Level.value).toBe(3.5);
  });

  it('stores the data a new edge node sends right after its births (messages of one edge node in order)', async () => {
    const edge = await mqtt.connectAsync(t.mqttUrl, { username: apiKey, reconnectPeriod: 0 });
    stops.push(() => edge.end(true));
    const unknownBefore = t.app.ingest.counters.refused.get('unknown_device') ?? 0;
    const message = (seq: number, metrics: unknown[]) =>
      Buffer.from(codec.encodePayload({ timestamp: Date.now(), seq, metrics }));
    // Back to back, without waiting for a PUBACK: the four arrive together, as an edge node coming up sends them.
    await Promise.all([
      edge.publishAsync(
        'spBv1.0/Fresh/NBIRTH/Edge1',
        message(0, [
          { name: 'bdSeq', type: 'UInt64', value: 0 },
          { name: 'Uptime', type: 'Int32', value: 1 },
        ]),
        { qos: 1 },
      ),
      edge.publishAsync('spBv1.0/Fresh/DBIRTH/Edge1/Pump', message(1, [{ name: 'Flow', type: 'Double', value: 1.5 }]), {
        qos: 1,
      }),
      edge.publishAsync('spBv1.0/Fresh/NDATA/Edge1', message(2, [{ name: 'Uptime', type: 'Int32', value: 2 }]), {
        qos: 1,
      }),
      edge.publishAsync('spBv1.0/Fresh/DDATA/Edge1/Pump', message(3, [{ name: 'Flow', type: 'Double', value: 2.5 }]), {
        qos: 1,
      }),
    ]);
    // Acknowledged means stored: no polling.
    expect((await latest('Fresh:Edge1')).Uptime.value).toBe(2);
    expect((await latest('Fresh:Edge1:Pump')).Flow.value).toBe(2.5);
    expect(t.app.ingest.counters.refused.get('unknown_device') ?? 0).toBe(unknownBefore);
    expect((await device('Fresh:Edge1')).body.last_error).toBeNull();
  });

  it('asks for a rebirth when data comes for a device that is not registered (so a new birth registers it)', async () => {
    const edge = await mqtt.connectAsync(t.mqttUrl, { username: apiKey, reconnectPeriod: 0 });
    stops.push(() => edge.end(true));
    const commands: string[] = [];
    edge.on('message', (topic) => commands.push(topic));
    await edge.subscribeAsync('spBv1.0/Plant4/NCMD/Gone/#', { qos: 0 });
    const message = (seq: number, metrics: unknown[]) =>
      Buffer.from(codec.encodePayload({ timestamp: Date.now(), seq, metrics }));
    await edge.publishAsync('spBv1.0/Plant4/NBIRTH/Gone', message(0, [{ name: 'bdSeq', type: 'UInt64', value: 0 }]), {
      qos: 1,
    });
    await edge.publishAsync(
      'spBv1.0/Plant4/DBIRTH/Gone/Pump',
      message(1, [{ name: 'Flow', type: 'Double', value: 1 }]),
      {
        qos: 1,
      },
    );
    // The birth's registration is undone (as when it failed); the edge node's session goes on.
    expect(
      (await t.api('/api/v1/devices/Plant4%3AGone%3APump', { token: t.adminToken, method: 'DELETE' })).status,
    ).toBe(204);
    const unknownBefore = t.app.ingest.counters.refused.get('unknown_device') ?? 0;
    await edge.publishAsync(
      'spBv1.0/Plant4/DDATA/Gone/Pump',
      message(2, [{ name: 'Flow', type: 'Double', value: 2 }]),
      {
        qos: 1,
      },
    );
    expect(t.app.ingest.counters.refused.get('unknown_device')).toBe(unknownBefore + 1);
    await expect.poll(() => commands).toEqual(['spBv1.0/Plant4/NCMD/Gone']);
  });

  it('refuses a DATA message without seq as invalid_seq and asks for a rebirth (Sparkplug B 3.0 §6.4.21)', async () => {
    const { edge, commands } = await bornEdgeNode('Plant3', 'NoSeq');
    const before = t.app.ingest.counters.refused.get('invalid_seq') ?? 0;
    await edge.publishAsync(
      'spBv1.0/Plant3/NDATA/NoSeq',
      Buffer.from(codec.encodePayload({ timestamp: Date.now(), metrics: [{ alias: 1, type: 'Double', value: 7 }] })),
      { qos: 1 },
    );
    expect(t.app.ingest.counters.refused.get('invalid_seq')).toBe(before + 1);
    expect((await latest('Plant3:NoSeq')).Level.value).toBe(1.5);
    await expect.poll(() => commands.length).toBeGreaterThan(0);
    expect(commands[0]?.topic).toBe('spBv1.0/Plant3/NCMD/NoSeq');
    expect(commands[0]?.metrics).toContainEqual(expect.objectContaining({ name: 'Node Control/Rebirth', value: true }));
    await expect.poll(async () => (await device('Plant3:NoSeq')).body.last_error?.message).toContain('invalid_seq');
  });

  it('keeps Sparkplug devices of one organization away from another', async () => {
    const other = await createOrgWithMembers(t, 'Sparkplug Other');
    const otherKey = (
      await t.api('/api/v1/api-keys', { token: other.tokens.admin, body: { name: 'edge', role: 'operator' } })
    ).body.key;
    const intruder = await mqtt.connectAsync(t.mqttUrl, { username: otherKey, reconnectPeriod: 0 });
    stops.push(() => intruder.end(true));
    const birth = {
      timestamp: Date.now(),
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: 0 },
        { name: 'Level', type: 'Double', value: 99 },
      ],
    };
    await intruder.publishAsync('spBv1.0/Plant2/NBIRTH/Gap1', Buffer.from(codec.encodePayload(birth)), { qos: 1 });
    expect((await latest('Plant2:Gap1')).Level.value).toBe(3.5);
    expect((await t.api('/api/v1/devices/Plant2%3AGap1', { token: other.tokens.admin })).status).toBe(404);
  });
});
