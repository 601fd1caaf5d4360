import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app.js';
import { configFrom } from '../src/config.js';
import { createLogger } from '../src/kernel/index.js';
import { apiCall, freePort } from './helpers/app.js';

const ADMIN_PASSWORD = 'log-test-admin-password-9f3k';
const SECRET_KEY = 'log-test-secret-key-0123456789abcdefghijkl';
const METRICS_TOKEN = 'log-test-metrics-token-77aa';

describe('structured logs', () => {
  let app: App;
  let url: string;
  let dataDir: string;
  const lines: string[] = [];
  const secrets: string[] = [ADMIN_PASSWORD, SECRET_KEY, METRICS_TOKEN];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fl-logs-'));
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const config = configFrom({
      FIELDLINE_HTTP_HOST: '127.0.0.1',
      FIELDLINE_HTTP_PORT: '0',
      FIELDLINE_MQTT_PORT: String(await freePort()),
      FIELDLINE_DATA_DIR: dataDir,
      FIELDLINE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      FIELDLINE_SECRET_KEY: SECRET_KEY,
      FIELDLINE_METRICS_TOKEN: METRICS_TOKEN,
      FIELDLINE_LOG_LEVEL: 'trace',
    });
    app = await createApp(config, { logger: createLogger('trace', sink) });
    url = (await app.start()).httpUrl;
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('carry request ids, organization and device ids, and never a password, token or key', async () => {
    // A login (wrong, then right), a device creation, an API key, HTTP ingest, an MQTT login and publish.
    await apiCall(url, '/api/v1/auth/login', { body: { username: 'admin', password: `${ADMIN_PASSWORD}-wrong` } });
    const login = await apiCall(url, '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    secrets.push(token, `${ADMIN_PASSWORD}-wrong`);
    const device = await apiCall(url, '/api/v1/devices', {
      token,
      body: { id: 'log-dev', name: 'Log device' },
      headers: { 'x-api-key': 'some-header-value-that-is-secret' },
    });
    expect(device.status).toBe(201);
    const deviceToken = device.body.credentials.access_token as string;
    secrets.push(deviceToken, 'some-header-value-that-is-secret');
    const key = await apiCall(url, '/api/v1/api-keys', { token, body: { name: 'logs', role: 'operator' } });
    expect(key.status).toBe(201);
    secrets.push(key.body.key);
    const rotated = await apiCall(url, '/api/v1/devices/log-dev/credentials', { method: 'POST', token });
    secrets.push(rotated.body.access_token);
    const current = rotated.body.access_token as string;
    expect((await apiCall(url, `/api/v1/${current}/telemetry`, { body: { t: 1 } })).status).toBe(200);
    expect((await apiCall(url, `/api/v1/${deviceToken}/telemetry`, { body: { t: 1 } })).status).toBe(401);
    await apiCall(url, '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${app.broker?.port}`, {
      username: 'log-dev',
      password: current,
      reconnectPeriod: 0,
    });
    await c.publishAsync('fieldline/devices/log-dev/telemetry', JSON.stringify({ t: 2 }), { qos: 1 });
    await c.endAsync(true);
    await expect(
      mqtt.connectAsync(`mqtt://127.0.0.1:${app.broker?.port}`, { username: deviceToken, reconnectPeriod: 0 }),
    ).rejects.toMatchObject({ code: 4 });
    await new Promise((r) => setTimeout(r, 50));

    expect(lines.length).toBeGreaterThan(10);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const s of secrets)
      for (const line of lines) expect(line.includes(s), `a secret reached the log: ${line}`).toBe(false);

    // Request lines carry the request id (UUIDv7) and, once authenticated, the organization.
    const requests = records.filter((r) => r.msg === 'request');
    expect(requests.length).toBeGreaterThan(5);
    for (const r of requests) expect(r.reqId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    const create = requests.find((r) => r.url === '/api/v1/devices' && r.method === 'POST');
    expect(create?.org).toEqual(expect.any(String));
    // Device ids where a device acts.
    expect(records.some((r) => r.msg === 'mqtt client connected' && r.device_id === 'log-dev' && r.org)).toBe(true);
    for (const r of records) expect(r.service).toBe('fieldline');
  });
});
