import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, freePort, startTestApp, type TestApp } from './helpers/app.js';
import { BIN, childEnv, runCli } from './helpers/cli.js';

describe('fieldline simulate', { timeout: 60_000 }, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({}, { mqtt: true });
  });
  afterAll(async () => {
    await t.close();
  });

  const simulate = (...extra: string[]) =>
    runCli(
      [
        'simulate',
        '--url',
        t.url,
        '--mqtt-url',
        t.mqttUrl,
        '--username',
        'admin',
        '--devices',
        '3',
        '--rate',
        '30',
        '--interval',
        '1',
        ...extra,
      ],
      { FIELDLINE_API_PASSWORD: ADMIN_PASSWORD },
    );

  it('creates devices through the API and stores the telemetry they publish', async () => {
    const run = await simulate('--duration', '2.5');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('3 device(s) ready (3 created, 0 reused)');
    // Not a terminal: plain progress lines, then the summary.
    expect(run.stdout).toMatch(/devices 3\/3 \| sent \d+ \| acked \d+ \| errors 0/);
    expect(run.stdout).not.toContain('\r');
    expect(run.stdout).toContain('Simulation finished after');
    const acked = Number(/acknowledged ([\d,]+)/.exec(run.stdout)?.[1]?.replace(/,/g, ''));
    expect(acked).toBeGreaterThan(0);

    const list = await t.api('/api/v1/devices?device_type=simulator', { token: t.adminToken });
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual(['sim-001', 'sim-002', 'sim-003']);
    for (const id of ['sim-001', 'sim-002', 'sim-003']) {
      const latest = (await t.api(`/api/v1/telemetry/${id}/latest`, { token: t.adminToken })).body.values;
      expect(Object.keys(latest).sort()).toEqual(['humidity', 'pressure', 'temperature', 'vibration']);
      expect(latest.humidity.value).toBeGreaterThanOrEqual(0);
      expect(latest.humidity.value).toBeLessThanOrEqual(100);
      expect(latest.vibration.value).toBeGreaterThanOrEqual(0);
    }
    // Every acknowledged message was stored (the simulator counts a message once its PUBACK came back).
    let stored = 0;
    for (const id of ['sim-001', 'sim-002', 'sim-003']) {
      const r = await t.api(`/api/v1/telemetry/${id}?keys=temperature&start=0`, { token: t.adminToken });
      stored += r.body.series.temperature.length;
    }
    expect(stored).toBe(acked);
  });

  it('reuses existing devices on a second run', async () => {
    const run = await simulate('--duration', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('3 device(s) ready (0 created, 3 reused)');
  });

  it('stops cleanly on Ctrl-C with a summary', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'simulate', '--url', t.url, '--mqtt-url', t.mqttUrl, '--devices', '2', '--rate', '20', '--interval', '0.2'],
      { env: childEnv({ FIELDLINE_API_PASSWORD: ADMIN_PASSWORD }) },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await expect.poll(() => stdout, { timeout: 15_000 }).toMatch(/acked [1-9]/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Simulation finished after');
  });

  it('says why the server cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['simulate', '--url', url, '--duration', '1'], { FIELDLINE_API_PASSWORD: 'x' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
  });

  it('explains what is missing without credentials', async () => {
    const run = await runCli(['simulate', '--url', t.url, '--duration', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--password');
  });
});
