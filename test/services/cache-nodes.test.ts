import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_SPECS, CacheLayer } from '../../src/cache/index.js';
import { createLogger, systemClock } from '../../src/kernel/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { freshPgSchema, serviceUrl, unlessSet } from '../helpers/services.js';

const pgBase = serviceUrl('FIELDLINE_TEST_PG_URL');
const redisUrl = serviceUrl('FIELDLINE_TEST_REDIS_URL');
const ready = pgBase && redisUrl;
const why = unlessSet('FIELDLINE_TEST_PG_URL', pgBase) || unlessSet('FIELDLINE_TEST_REDIS_URL', redisUrl);

const uniq = () => randomBytes(4).toString('hex');

describe.skipIf(!ready)(`caches of two nodes sharing PostgreSQL and Redis${why}`, () => {
  let a: TestApp;
  let b: TestApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const schema = await freshPgSchema(pgBase as string);
    drop = schema.drop;
    const env = {
      FIELDLINE_DATABASE_URL: schema.url,
      FIELDLINE_REDIS_URL: redisUrl as string,
      FIELDLINE_SECRET_KEY: 'two-nodes-one-secret-key-0123456789abcdef',
    };
    a = await startTestApp(env, { mqtt: true });
    b = await startTestApp(env, { mqtt: true });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  const createDevice = async (id: string) => {
    const r = await a.api('/api/v1/devices', { token: a.adminToken, body: { id, name: id } });
    expect(r.status, r.text).toBe(201);
    return r.body.credentials.access_token as string;
  };
  const mqttLogin = (t: TestApp, username: string) =>
    mqtt.connectAsync(t.mqttUrl, { username, reconnectPeriod: 0, connectTimeout: 5000 });

  it('a rotated device token stops working on every node at once (HTTP, MQTT logins and open connections)', async () => {
    const id = `rot-${uniq()}`;
    const old = await createDevice(id);
    // Node B learns the token: HTTP ingest and an MQTT login, so both its caches hold it.
    expect((await b.api(`/api/v1/${old}/telemetry`, { body: { v: 1 } })).status).toBe(200);
    const first = await mqttLogin(b, old);
    await first.endAsync(true);
    expect((await b.api(`/api/v1/${old}/telemetry`, { body: { v: 2 } })).status).toBe(200);
    // A connection open on node B with the old token is closed by node B when node A replaces the token.
    const open = await mqttLogin(b, old);
    const closed = new Promise<void>((resolve) => open.once('close', () => resolve()));

    const rotated = await a.api(`/api/v1/devices/${id}/credentials`, { method: 'POST', token: a.adminToken });
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = rotated.body.access_token ?? rotated.body.credentials?.access_token;
    expect(typeof fresh).toBe('string');
    await closed;

    // Right away, without waiting for any TTL: node B refuses the old token and accepts the new one.
    expect((await b.api(`/api/v1/${old}/telemetry`, { body: { v: 3 } })).status).toBe(401);
    await expect(mqttLogin(b, old)).rejects.toMatchObject({ code: 4 });
    expect((await b.api(`/api/v1/${fresh}/telemetry`, { body: { v: 4 } })).status).toBe(200);
    const again = await mqttLogin(b, fresh);
    await again.endAsync(true);
  });

  it('a device change on one node is what the other node shows and enforces next', async () => {
    const id = `chg-${uniq()}`;
    const token = await createDevice(id);
    expect((await b.api(`/api/v1/devices/${id}`, { token: b.adminToken })).body.name).toBe(id);
    expect((await b.api(`/api/v1/${token}/telemetry`, { body: { v: 1 } })).status).toBe(200);

    const put = await a.api(`/api/v1/devices/${id}`, {
      method: 'PUT',
      token: a.adminToken,
      body: { name: 'Renamed', active: false },
    });
    expect(put.status, put.text).toBe(200);
    expect((await b.api(`/api/v1/devices/${id}`, { token: b.adminToken })).body).toMatchObject({
      name: 'Renamed',
      active: false,
    });
    expect((await b.api(`/api/v1/${token}/telemetry`, { body: { v: 2 } })).status).not.toBe(200);

    await a.api(`/api/v1/devices/${id}`, { method: 'DELETE', token: a.adminToken });
    expect((await b.api(`/api/v1/devices/${id}`, { token: b.adminToken })).status).toBe(404);
  });

  it('latest values written through one node are what the other node answers', async () => {
    const id = `lat-${uniq()}`;
    const token = await createDevice(id);
    await a.api(`/api/v1/${token}/telemetry`, { body: { temperature: 20 } });
    const latest = async () =>
      (await b.api(`/api/v1/telemetry/${id}/latest`, { token: b.adminToken })).body.values.temperature?.value;
    expect(await latest()).toBe(20);
    expect(await latest()).toBe(20); // now cached on B
    await a.api(`/api/v1/${token}/telemetry`, { body: { temperature: 21 } });
    // A's commit is announced once per event-loop turn; it reaches B before B can answer a request sent later.
    await expect.poll(latest, { timeout: 2000, interval: 5 }).toBe(21);
  });

  it('a revoked API key and a removed membership are refused by the other node at once', async () => {
    const key = await a.api('/api/v1/api-keys', { token: a.adminToken, body: { name: `k-${uniq()}`, role: 'viewer' } });
    expect(key.status, key.text).toBe(201);
    const secret = (key.body.key ?? key.body.api_key ?? key.body.secret) as string;
    expect((await b.api('/api/v1/devices', { token: secret })).status).toBe(200);
    const revoked = await a.api(`/api/v1/api-keys/${key.body.id}`, { method: 'DELETE', token: a.adminToken });
    expect(revoked.status).toBeLessThan(300);
    expect((await b.api('/api/v1/devices', { token: secret })).status).toBe(401);

    const username = `u-${uniq()}`;
    const user = await a.api('/api/v1/users', {
      token: a.adminToken,
      body: { username, password: `${username}-password`, role: 'operator' },
    });
    expect(user.status, user.text).toBe(201);
    const login = await b.api('/api/v1/auth/login', { body: { username, password: `${username}-password` } });
    const userToken = login.body.access_token as string;
    expect((await b.api('/api/v1/devices', { token: userToken })).status).toBe(200);
    const removed = await a.api(`/api/v1/users/${user.body.id}`, { method: 'DELETE', token: a.adminToken });
    expect(removed.status, removed.text).toBeLessThan(300);
    expect((await b.api('/api/v1/devices', { token: userToken })).status).toBe(401);
  });

  it('shares values through Redis, announces invalidations to every node, and never keeps a value loaded before a change', async () => {
    const log = createLogger('silent');
    const x = new CacheLayer({ redisUrl: redisUrl as string, clock: systemClock, log });
    const y = new CacheLayer({ redisUrl: redisUrl as string, clock: systemClock, log });
    await x.start();
    await y.start();
    try {
      const spec = CACHE_SPECS.rules;
      const cx = x.cache<{ v: number }>(spec);
      const cy = y.cache<{ v: number }>(spec);
      const key = `org-${uniq()}`;
      let db = { v: 1 };
      expect(await cx.get(key, async () => db)).toEqual({ v: 1 });
      // Y has never loaded it: Redis answers (the shared tier), not Y's loader.
      await expect.poll(() => cy.get(key, async () => ({ v: -1 }))).toEqual({ v: 1 });
      expect(cy.counters.hitsRemote).toBeGreaterThanOrEqual(1);

      const heard: (readonly string[] | null)[] = [];
      cy.onInvalidate((keys, origin) => (origin === 'remote' ? heard.push(keys) : undefined));
      db = { v: 2 };
      await cx.invalidate(key);
      await expect.poll(() => heard.length).toBe(1);
      expect(heard[0]).toEqual([key]);
      expect(cy.peek(key)).toBeUndefined();
      expect(await cy.get(key, async () => db)).toEqual({ v: 2 });

      // A load that read the old value while the change happened is answered but not kept, on either tier.
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const slowKey = `slow-${uniq()}`;
      const stale = cy.get(slowKey, async () => {
        const read = { v: 10 };
        await gate;
        return read;
      });
      await new Promise((r) => setTimeout(r, 20));
      await cx.invalidate(slowKey);
      await expect.poll(() => cy.counters.invalidationsRemote).toBeGreaterThanOrEqual(2);
      release();
      expect(await stale).toEqual({ v: 10 });
      expect(cy.peek(slowKey)).toBeUndefined();
      expect(await cx.get(slowKey, async () => ({ v: 11 }))).toEqual({ v: 11 });
    } finally {
      await x.stop();
      await y.stop();
    }
  });
});
