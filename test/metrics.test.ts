import { execFileSync } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { parseMetrics, promtoolCheck, sampleValue, sumOf } from './helpers/metrics.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
// Figures read from the database follow presence's batched writes (about a second behind).
const POLL = { timeout: 10_000, interval: 100 };

const hasPromtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('GET /metrics', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  const scrape = async () => {
    const r = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    return { text, samples: parseMetrics(text) };
  };

  beforeAll(async () => {
    t = await startTestApp({ FIELDLINE_METRICS_TOKEN: METRICS_TOKEN }, { mqtt: true });
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await t.close();
  });

  it('needs the bearer token when FIELDLINE_METRICS_TOKEN is set', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('changes as devices connect and data flows', async () => {
    const before = (await scrape()).samples;
    expect(sampleValue(before, 'fieldline_mqtt_connections')).toBe(0);

    const created = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'metrics-dev', name: 'M' } });
    expect(created.status).toBe(201);
    const offline = (await scrape()).samples;
    expect(sampleValue(offline, 'fieldline_devices', { organization: 'default', status: 'offline' })).toBe(1);

    const c = await mqtt.connectAsync(t.mqttUrl, {
      username: created.body.credentials.access_token,
      reconnectPeriod: 0,
    });
    clients.push(c);
    await c.publishAsync('fieldline/devices/metrics-dev/telemetry', JSON.stringify({ t: 1, h: 2 }), { qos: 1 });
    await c.publishAsync('fieldline/devices/metrics-dev/telemetry', '{not json', { qos: 1 });
    await t.api('/api/v1/devices/metrics-dev', { token: t.adminToken });

    // Device counts come from the database, where presence writes status in batches (about every second).
    await expect
      .poll(
        async () =>
          sampleValue((await scrape()).samples, 'fieldline_devices', { organization: 'default', status: 'online' }),
        POLL,
      )
      .toBe(1);
    const after = (await scrape()).samples;
    expect(sampleValue(after, 'fieldline_mqtt_connections')).toBe(1);
    expect(sampleValue(after, 'fieldline_devices', { organization: 'default', status: 'offline' }) ?? 0).toBe(0);
    expect(sampleValue(after, 'fieldline_telemetry_points_ingested_total', { source: 'mqtt' })).toBe(2);
    expect(sampleValue(after, 'fieldline_telemetry_messages_refused_total', { reason: 'malformed_json' })).toBe(1);
    expect(sampleValue(after, 'fieldline_mqtt_messages_received_total', { family: 'native' })).toBe(2);
    expect(sumOf(after, 'fieldline_telemetry_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, 'fieldline_events_total', { event: 'telemetry.ingested' })).toBe(1);
    expect(sampleValue(after, 'fieldline_device_status_changes_total', { status: 'online' })).toBe(1);
    // HTTP by route template, never by URL.
    expect(
      sampleValue(after, 'fieldline_http_requests_total', {
        method: 'GET',
        route: '/api/v1/devices/:id',
        status: '200',
      }),
    ).toBe(1);
    expect(after.some((s) => s.labels.route?.includes('metrics-dev'))).toBe(false);
    expect(
      sampleValue(after, 'fieldline_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/devices/:id',
      }),
    ).toBe(1);
    // The MQTT login looked the token up once: a miss, then kept.
    expect(sampleValue(after, 'fieldline_cache_misses_total', { cache: 'device_tokens' })).toBe(1);
    expect(sampleValue(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    // The embedded SQLite's checkpoint thread copies the WAL back into the database file on its own.
    await expect
      .poll(async () => sampleValue((await scrape()).samples, 'fieldline_sqlite_checkpoints_total'), POLL)
      .toBeGreaterThan(0);
    expect(sampleValue((await scrape()).samples, 'fieldline_sqlite_wal_frames')).toBeGreaterThan(0);

    await c.endAsync(true);
    clients.length = 0;
    await expect.poll(async () => sampleValue((await scrape()).samples, 'fieldline_mqtt_connections')).toBe(0);
    await expect
      .poll(
        async () =>
          sampleValue((await scrape()).samples, 'fieldline_devices', { organization: 'default', status: 'offline' }),
        POLL,
      )
      .toBe(1);
  });

  it('counts rule evaluations, raised and open alerts', async () => {
    const created = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'hot-dev', name: 'Hot' } });
    const token = created.body.credentials.access_token as string;
    const rule = await t.api('/api/v1/rules', {
      token: t.adminToken,
      body: {
        name: 'High Temperature Alert',
        device_id: 'hot-dev',
        rule_type: 'threshold',
        conditions: { key: 'temperature', operator: '>', value: 25 },
        actions: [{ type: 'alert' }],
        severity: 'warning',
        priority: 5,
        enabled: true,
      },
    });
    expect(rule.status, rule.text).toBe(201);
    expect((await t.api(`/api/v1/${token}/telemetry`, { body: { temperature: 30 } })).status).toBe(200);
    await expect
      .poll(
        async () => sampleValue((await scrape()).samples, 'fieldline_alerts_raised_total', { severity: 'warning' }),
        POLL,
      )
      .toBe(1);
    const s = (await scrape()).samples;
    expect(sampleValue(s, 'fieldline_alerts_open', { severity: 'warning' })).toBe(1);
    expect(sampleValue(s, 'fieldline_alerts_open', { severity: 'critical' })).toBe(0);
    expect(sampleValue(s, 'fieldline_rule_evaluations_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(s, 'fieldline_rules_active')).toBeGreaterThanOrEqual(1);
  });

  it('counts cache hits and misses by cache', async () => {
    const created = await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'cache-dev', name: 'C' } });
    const token = created.body.credentials.access_token as string;
    const before = (await scrape()).samples;
    for (let i = 0; i < 3; i++)
      expect((await t.api(`/api/v1/${token}/telemetry`, { body: { v: i } })).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await t.api('/api/v1/telemetry/cache-dev/latest', { token: t.adminToken })).status).toBe(200);
    const after = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string>) =>
      (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    expect(delta('fieldline_cache_misses_total', { cache: 'device_tokens' })).toBe(1);
    expect(delta('fieldline_cache_hits_total', { cache: 'device_tokens', tier: 'local' })).toBe(2);
    expect(delta('fieldline_cache_misses_total', { cache: 'latest' })).toBe(1);
    expect(delta('fieldline_cache_hits_total', { cache: 'latest', tier: 'local' })).toBe(2);
    expect(sampleValue(after, 'fieldline_cache_entries', { cache: 'device_tokens' })).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(!hasPromtool && process.env.CI !== 'true')(
    `passes promtool check metrics${hasPromtool ? '' : ' [skipped: promtool not installed]'}`,
    async () => {
      const { text } = await scrape();
      const result = await promtoolCheck(text);
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    },
  );
});
