import mqtt, { type MqttClient } from 'mqtt';
import spb from 'sparkplug-payload';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';

const codec = spb.get('spBv1.0') as {
  encodePayload: (p: unknown) => Uint8Array;
  decodePayload: (b: Uint8Array) => { metrics: { name: string; value: unknown }[] };
};

const body = (seq: number, metrics: { name: string; type: string; value: unknown }[]) =>
  Buffer.from(codec.encodePayload({ timestamp: Date.now(), seq, metrics }));
const nbirth = (seq: number, level: number) =>
  body(seq, [
    { name: 'bdSeq', type: 'UInt64', value: 0 },
    { name: 'Level', type: 'Double', value: level },
  ]);
const level = (seq: number, value: number) => body(seq, [{ name: 'Level', type: 'Double', value }]);
const flow = (seq: number, value: number) => body(seq, [{ name: 'Flow', type: 'Double', value }]);

/**
 * A device token is one device: over Sparkplug it may be the edge node `{group}:{edge}` that IS that device and
 * speak for that edge node's devices, nothing else — one leaked token must not write to (or register) any
 * Sparkplug-named device of its organization, nor listen to other edge nodes' commands.
 */
describe('Sparkplug B with device tokens', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const clients: MqttClient[] = [];

  const connect = async (id: string) => {
    const c = await mqtt.connectAsync(t.mqttUrl, { username: tokens[id], reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    return c;
  };
  const device = (id: string) => t.api(`/api/v1/devices/${encodeURIComponent(id)}`, { token: t.adminToken });
  const latest = async (id: string) =>
    (await t.api(`/api/v1/telemetry/${encodeURIComponent(id)}/latest`, { token: t.adminToken })).body.values;
  const notAuthorized = () => t.app.ingest.counters.refused.get('not_authorized') ?? 0;
  /** The QoS granted for one filter, 128 when refused (SUBACK 0x80, which mqtt.js rejects with). */
  const granted = async (c: MqttClient, filter: string): Promise<number> => {
    try {
      return (await c.subscribeAsync(filter, { qos: 0 }))[0]?.qos ?? -1;
    } catch (err) {
      return (err as { packet?: { granted?: number[] } }).packet?.granted?.[0] ?? -1;
    }
  };

  beforeAll(async () => {
    t = await startTestApp({}, { mqtt: true });
    for (const id of ['edge-1', 'plantZ:edgeZ', 'SecPlant:Edge9']) {
      const r = await t.api('/api/v1/devices', { token: t.adminToken, body: { id, name: id } });
      expect(r.status, r.text).toBe(201);
      tokens[id] = r.body.credentials.access_token;
    }
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await t.close();
  });

  it("refuses another edge node's messages as not_authorized: nothing stored, no device registered, connection kept", async () => {
    const intruder = await connect('edge-1');
    const before = notAuthorized();
    // An existing device named like an edge node, and names nobody registered yet.
    await intruder.publishAsync('spBv1.0/plantZ/NBIRTH/edgeZ', nbirth(0, 1), { qos: 1 });
    await intruder.publishAsync('spBv1.0/plantZ/NDATA/edgeZ', level(1, 2), { qos: 1 });
    await intruder.publishAsync('spBv1.0/plantD/NBIRTH/edgeD', nbirth(0, 1), { qos: 1 });
    await intruder.publishAsync('spBv1.0/plantD/DBIRTH/edgeD/pump7', flow(1, 5), { qos: 1 });
    await intruder.publishAsync('spBv1.0/plantD/DDATA/edgeD/pump7', flow(2, 6), { qos: 1 });
    expect(notAuthorized()).toBe(before + 5);
    expect(await latest('plantZ:edgeZ')).toEqual({});
    expect((await device('plantD:edgeD')).status).toBe(404);
    expect((await device('plantD:edgeD:pump7')).status).toBe(404);
    expect((await device('edge-1')).body.last_error.message).toContain('not_authorized');
    // Same convention as another device's native topic: the connection stays and its own data is stored.
    await intruder.publishAsync('fieldline/devices/edge-1/telemetry', JSON.stringify({ after: 1 }), { qos: 1 });
    expect((await latest('edge-1')).after.value).toBe(1);
  });

  it('lets an edge node device speak for itself and its own devices, and for no other edge node', async () => {
    const edge = await connect('SecPlant:Edge9');
    await edge.publishAsync('spBv1.0/SecPlant/NBIRTH/Edge9', nbirth(0, 1), { qos: 1 });
    await edge.publishAsync('spBv1.0/SecPlant/DBIRTH/Edge9/Pump', flow(1, 5), { qos: 1 });
    await edge.publishAsync('spBv1.0/SecPlant/NDATA/Edge9', level(2, 2), { qos: 1 });
    await edge.publishAsync('spBv1.0/SecPlant/DDATA/Edge9/Pump', flow(3, 6), { qos: 1 });
    expect((await latest('SecPlant:Edge9')).Level.value).toBe(2);
    expect((await latest('SecPlant:Edge9:Pump')).Flow.value).toBe(6);
    expect((await device('SecPlant:Edge9:Pump')).body).toMatchObject({ device_type: 'sparkplug-device' });

    const before = notAuthorized();
    await edge.publishAsync('spBv1.0/SecPlant/NBIRTH/Edge10', nbirth(0, 1), { qos: 1 });
    await edge.publishAsync('spBv1.0/SecPlant/DBIRTH/Edge10/Pump', flow(1, 5), { qos: 1 });
    await edge.publishAsync('spBv1.0/OtherPlant/DBIRTH/Edge9/Pump', flow(4, 5), { qos: 1 });
    expect(notAuthorized()).toBe(before + 3);
    expect((await device('SecPlant:Edge10')).status).toBe(404);
    expect((await device('SecPlant:Edge10:Pump')).status).toBe(404);
    expect((await device('OtherPlant:Edge9:Pump')).status).toBe(404);
  });

  it("does not pass a device's NCMD or STATE on: only a host application (an API key) commands edge nodes", async () => {
    const edge = await connect('SecPlant:Edge9');
    const commands: { topic: string; metrics: { name: string; value: unknown }[] }[] = [];
    edge.on('message', (topic, payload) => commands.push({ topic, metrics: codec.decodePayload(payload).metrics }));
    await edge.subscribeAsync('spBv1.0/SecPlant/NCMD/Edge9/#', { qos: 0 });
    const intruder = await connect('edge-1');
    const before = notAuthorized();
    const forged = Buffer.from(
      codec.encodePayload({
        timestamp: Date.now(),
        metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
      }),
    );
    await intruder.publishAsync('spBv1.0/SecPlant/NCMD/Edge9', forged, { qos: 1 });
    await intruder.publishAsync('spBv1.0/STATE/scada', '{"online":false}', { qos: 1 });
    expect(notAuthorized()).toBe(before + 2);
    // The host application's command (an API key may publish Sparkplug), sent after the forged one through the
    // same broker, is the first thing the edge node gets.
    const key = (await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'scada', role: 'operator' } }))
      .body.key;
    const host = await mqtt.connectAsync(t.mqttUrl, { username: key, reconnectPeriod: 0 });
    clients.push(host);
    const real = Buffer.from(
      codec.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Setpoint', type: 'Double', value: 3 }] }),
    );
    await host.publishAsync('spBv1.0/SecPlant/NCMD/Edge9', real, { qos: 1 });
    await expect.poll(() => commands.length).toBeGreaterThan(0);
    expect(commands.map((c) => c.metrics[0]?.name)).toEqual(['Setpoint']);
  });

  it("keeps a device's Sparkplug subscriptions to its own edge node's commands", async () => {
    const edge = await connect('SecPlant:Edge9');
    // What Eclipse Tahu's sparkplug-client subscribes to, and the other forms of the own edge node's commands.
    for (const own of [
      'spBv1.0/SecPlant/NCMD/Edge9/#',
      'spBv1.0/SecPlant/DCMD/Edge9/#',
      'spBv1.0/SecPlant/NCMD/Edge9',
      'spBv1.0/SecPlant/DCMD/Edge9/+',
      'spBv1.0/SecPlant/DCMD/Edge9/Pump',
      'spBv1.0/STATE/+',
    ])
      expect(await granted(edge, own), own).toBe(0);
    for (const foreign of [
      'spBv1.0/+/NCMD/+',
      'spBv1.0/SecPlant/NCMD/+',
      'spBv1.0/SecPlant/NCMD/#',
      'spBv1.0/SecPlant/DCMD/+/Pump',
      'spBv1.0/SecPlant/DCMD/Edge10/#',
      'spBv1.0/plantZ/NCMD/edgeZ',
      'spBv1.0/plantZ/DCMD/edgeZ/#',
      'spBv1.0/SecPlant/NDATA/Edge9',
      'spBv1.0/#',
    ])
      expect(await granted(edge, foreign), foreign).toBe(128);
    // A device that is no edge node gets no edge node's commands.
    const other = await connect('edge-1');
    expect(await granted(other, 'spBv1.0/plantZ/NCMD/edgeZ/#')).toBe(128);
    expect(await granted(other, 'spBv1.0/SecPlant/DCMD/Edge9/#')).toBe(128);
  });

  it("lets no other organization take an edge node's device ids, and tells the owner when one is taken", async () => {
    // A fresh edge node: a device's last error is written at most every 5 s.
    const own = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'OwnPlant:Edge1', name: 'e' } });
    tokens['OwnPlant:Edge1'] = own.body.credentials.access_token;
    const other = await createOrgWithMembers(t, 'Sparkplug squatter');
    const key = await t.api('/api/v1/api-keys', { token: other.tokens.admin, body: { name: 'gw', role: 'operator' } });
    expect(key.status, key.text).toBe(201);
    const squatter = await mqtt.connectAsync(t.mqttUrl, { username: key.body.key, reconnectPeriod: 0 });
    clients.push(squatter);
    // OwnPlant:Edge1 is this organization's edge node: the other one may not birth devices under it.
    await squatter.publishAsync('spBv1.0/OwnPlant/DBIRTH/Edge1/x9', flow(1, 1), { qos: 1 });
    await squatter.publishAsync('spBv1.0/OwnPlant/DDATA/Edge1/x9', flow(2, 2), { qos: 1 });
    expect((await device('OwnPlant:Edge1:x9')).status).toBe(404);
    // Nor under an edge node that was never born: NBIRTH comes first.
    await squatter.publishAsync('spBv1.0/Nowhere/DBIRTH/Edge1/x1', flow(1, 1), { qos: 1 });
    const owned = await t.api('/api/v1/devices?search=Nowhere', { token: other.tokens.admin });
    expect(owned.body.items).toEqual([]);

    // The owner's edge node births the device and stores its data.
    const edge = await connect('OwnPlant:Edge1');
    await edge.publishAsync('spBv1.0/OwnPlant/NBIRTH/Edge1', nbirth(0, 1), { qos: 1 });
    await edge.publishAsync('spBv1.0/OwnPlant/DBIRTH/Edge1/x9', flow(1, 3), { qos: 1 });
    await edge.publishAsync('spBv1.0/OwnPlant/DDATA/Edge1/x9', flow(2, 4), { qos: 1 });
    expect((await latest('OwnPlant:Edge1:x9')).Flow.value).toBe(4);

    // Through the API, another organization cannot take an id under this organization's edge node (409)...
    const refused = await t.api('/api/v1/devices', {
      token: other.tokens.admin,
      body: { id: 'OwnPlant:Edge1:y9', name: 'y' },
    });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.detail).toContain("edge node 'OwnPlant:Edge1', which belongs to another organization");
    // ...but it may have taken one before the edge node existed (ids are unique across the platform): then the
    // device's messages are refused and the edge node's last error says so, for its owner to see.
    const early = await t.api('/api/v1/devices', {
      token: other.tokens.admin,
      body: { id: 'LatePlant:Edge2:z1', name: 'z' },
    });
    expect(early.status, early.text).toBe(201);
    const late = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'LatePlant:Edge2', name: 'l' } });
    tokens['LatePlant:Edge2'] = late.body.credentials.access_token;
    const lateEdge = await connect('LatePlant:Edge2');
    await lateEdge.publishAsync('spBv1.0/LatePlant/NBIRTH/Edge2', nbirth(0, 1), { qos: 1 });
    await lateEdge.publishAsync('spBv1.0/LatePlant/DBIRTH/Edge2/z1', flow(1, 5), { qos: 1 });
    expect((await device('LatePlant:Edge2')).body.last_error.message).toContain(
      "Sparkplug device 'LatePlant:Edge2:z1' belongs to another organization",
    );
  });
});
