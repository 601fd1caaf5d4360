import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestApp, type TestApp } from './helpers/app.js';

const exec = promisify(execFile);

describe('MQTT over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-mqtts-'));
  let t: TestApp;
  let port: number;
  let token: string;

  beforeAll(async () => {
    // A throwaway self-signed certificate for 127.0.0.1 (openssl, from Debian).
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    port = await freePort();
    t = await startTestApp({
      FIELDLINE_MQTTS_PORT: String(port),
      FIELDLINE_TLS_CERT: join(dir, 'cert.pem'),
      FIELDLINE_TLS_KEY: join(dir, 'key.pem'),
    });
    const r = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'tls-dev', name: 'TLS device' } });
    token = r.body.credentials.access_token;
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a client that trusts the certificate, and stores its data', async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
      username: token,
      ca: readFileSync(join(dir, 'cert.pem')),
      reconnectPeriod: 0,
    });
    await client.publishAsync('fieldline/devices/tls-dev/telemetry', JSON.stringify({ secure: 1 }), { qos: 1 });
    await client.endAsync();
    const latest = await t.api('/api/v1/telemetry/tls-dev/latest', { token: t.adminToken });
    expect(latest.body.values.secure.value).toBe(1);
  });

  it('closes a TLS connection that sends a packet over the size limit, and records it on the device', async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
      username: token,
      ca: readFileSync(join(dir, 'cert.pem')),
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('fieldline/devices/tls-dev/telemetry', Buffer.alloc(300_000, 0x20), { qos: 0 });
    await closed;
    await client.endAsync(true);
    expect(t.app.ingest.counters.refused.get('too_large')).toBeGreaterThan(0);
    const device = await t.api('/api/v1/devices/tls-dev', { token: t.adminToken });
    expect(device.body.last_error.message).toMatch(/^too_large: a packet of \d+ bytes exceeds the maximum/);
  });

  it('is refused by a client that does not trust it', async () => {
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { username: token, reconnectPeriod: 0, connectTimeout: 3000 }),
    ).rejects.toThrow(/self.signed|certificate/i);
  });
});
