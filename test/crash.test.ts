import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { apiCall, freePort } from './helpers/app.js';
import { type ServeProcess, startServe } from './helpers/cli.js';

describe('acknowledged means durable', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fl-crash-'));
  let serving: ServeProcess | null = null;
  afterAll(async () => {
    await serving?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds every PUBACKed point after the server is killed with SIGKILL during QoS 1 ingest', async () => {
    const mqttPort = await freePort();
    const env = {
      FIELDLINE_DATA_DIR: dataDir,
      FIELDLINE_ADMIN_PASSWORD: 'crash-test-pass',
      FIELDLINE_MQTT_PORT: String(mqttPort),
    };
    serving = await startServe(env);
    const token = (
      await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'admin', password: 'crash-test-pass' } })
    ).body.access_token;
    const devices: { id: string; token: string }[] = [];
    for (let d = 0; d < 4; d++) {
      const r = await apiCall(serving.url, '/api/v1/devices', {
        token,
        body: { id: `crash-${d}`, name: `crash ${d}` },
      });
      devices.push({ id: r.body.id, token: r.body.credentials.access_token });
    }

    // Each device keeps 20 QoS 1 publishes in flight; every PUBACK is recorded as (device, seq).
    const acked = new Map<string, Set<number>>(devices.map((d) => [d.id, new Set<number>()]));
    const base = Date.now() - 3_600_000;
    let killed = false;
    const clients = await Promise.all(
      devices.map((d) => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: d.token, reconnectPeriod: 0 })),
    );
    const pumps = devices.map(async (d, i) => {
      const client = clients[i] as mqtt.MqttClient;
      let seq = 0;
      const worker = async () => {
        while (!killed) {
          const n = seq++;
          const payload = JSON.stringify({ ts: base + n, values: { seq: n, temperature: 20 + (n % 10) } });
          try {
            await client.publishAsync(`fieldline/devices/${d.id}/telemetry`, payload, { qos: 1 });
            acked.get(d.id)?.add(n);
          } catch {
            return; // the connection died with the server: this publish was never acknowledged
          }
        }
      };
      await Promise.all(Array.from({ length: 20 }, worker));
    });

    const total = () => [...acked.values()].reduce((n, s) => n + s.size, 0);
    await expect.poll(total, { timeout: 20_000, interval: 20 }).toBeGreaterThan(2000);
    await serving.stop('SIGKILL');
    killed = true;
    serving = null;
    // Publishes in flight at the kill never get a PUBACK; closing the clients fails them.
    const acknowledged = total();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    void pumps;

    serving = await startServe(env);
    const fresh = (
      await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'admin', password: 'crash-test-pass' } })
    ).body.access_token;
    let missing = 0;
    for (const d of devices) {
      const r = await apiCall(
        serving.url,
        `/api/v1/telemetry/${d.id}?keys=seq&start=${base}&end=${base + 10_000_000}&limit=100000`,
        { token: fresh },
      );
      const stored = new Set<number>((r.body.series.seq ?? []).map((p: { value: number }) => p.value));
      for (const n of acked.get(d.id) ?? []) if (!stored.has(n)) missing++;
    }
    expect(acknowledged).toBeGreaterThan(2000);
    expect(missing).toBe(0);
  });
});
