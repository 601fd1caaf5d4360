import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fieldlineDashboards, isSql, type PromTarget, targetsOf } from '../src/observability/grafana/index.js';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { declaredNames } from './helpers/metrics.js';

const dashboards = fieldlineDashboards();

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords or label names. */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const words = withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()/g) ?? [];
  return words.filter((w) => /^(fieldline|process|nodejs)_/.test(w));
}

describe('Grafana dashboards', () => {
  let t: TestApp;
  const dirs: string[] = [];
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('are the four dashboards of the issue, each panel with a data source and a query', () => {
    expect(Object.values(dashboards).map((d) => d.title)).toEqual([
      'Fieldline · Device Overview',
      'Fieldline · Telemetry',
      'Fieldline · Alerts & Rules',
      'Fieldline · Platform',
    ]);
    for (const d of Object.values(dashboards)) {
      const panels = d.panels as { title: string; datasource: { uid: string }; targets: unknown[] }[];
      expect(panels.length).toBeGreaterThanOrEqual(3);
      for (const p of panels) {
        expect(p.datasource.uid, p.title).toMatch(/^\$\{ds_(prometheus|fieldline)\}$/);
        expect(p.targets.length, p.title).toBeGreaterThan(0);
      }
      // Unique panel ids, as Grafana needs.
      expect(new Set(panels.map((p) => (p as unknown as { id: number }).id)).size).toBe(panels.length);
    }
    const titles = (uid: string) =>
      ((Object.values(dashboards).find((d) => d.uid === uid)?.panels ?? []) as { title: string }[]).map((p) => p.title);
    expect(titles('fieldline-device-overview')).toEqual(
      expect.arrayContaining(['Devices', 'Online', 'Active alerts', 'Active rules', 'Device status']),
    );
    expect(titles('fieldline-alerts-rules')).toEqual(
      expect.arrayContaining([
        'Alert frequency by severity',
        'Acknowledgement rate',
        'Recent alerts',
        'Most triggered rules',
        'Devices with most alerts',
      ]),
    );
    expect(titles('fieldline-platform')).toEqual(
      expect.arrayContaining([
        'Ingest rate',
        'Commit latency',
        'MQTT connections',
        'HTTP latency (p99 by route)',
        'Notification outbox backlog',
      ]),
    );
  });

  it('name only metrics that /metrics exposes', async () => {
    // Some traffic first, so histogram and labelled series exist.
    await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'g-dev', name: 'G' } });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const declared = declaredNames(text);
    const exprs = Object.values(dashboards)
      .flatMap((d) => targetsOf(d))
      .filter((x): x is PromTarget => !isSql(x))
      .map((x) => x.expr);
    expect(exprs.length).toBeGreaterThan(15);
    const names = new Set(exprs.flatMap(metricNames));
    expect(names.size).toBeGreaterThan(15);
    for (const name of names) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(declared.has(name) || declared.has(base), `${name} is not in /metrics`).toBe(true);
    }
  });

  it('are written by `fieldline grafana export --out DIR`, without the database password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-grafana-'));
    dirs.push(dir);
    const out = join(dir, 'grafana');
    const r = await runCli(['grafana', 'export', '--out', out, '--prometheus-url', 'http://prom.internal:9090'], {
      FIELDLINE_DATABASE_URL: 'postgres://fieldline:s3cret-db-pass@db.internal:5433/fieldline',
      FIELDLINE_DATA_DIR: dir,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(join(out, 'dashboards', 'fieldline')).sort()).toEqual([
      'fieldline-alerts-rules.json',
      'fieldline-device-overview.json',
      'fieldline-platform.json',
      'fieldline-telemetry.json',
    ]);
    const ds = parse(readFileSync(join(out, 'provisioning', 'datasources', 'fieldline.yaml'), 'utf8'));
    expect(ds.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prom.internal:9090', isDefault: true }),
      expect.objectContaining({
        name: 'Fieldline',
        type: 'grafana-postgresql-datasource',
        url: 'db.internal:5433',
        user: 'fieldline',
        jsonData: expect.objectContaining({ database: 'fieldline' }),
        secureJsonData: { password: `\${FIELDLINE_GRAFANA_DB_PASSWORD}` },
      }),
    ]);
    const providers = parse(readFileSync(join(out, 'provisioning', 'dashboards', 'fieldline.yaml'), 'utf8'));
    expect(providers.providers[0]).toMatchObject({ folder: 'Fieldline', type: 'file' });
    for (const f of readdirSync(join(out, 'dashboards', 'fieldline')))
      expect(JSON.parse(readFileSync(join(out, 'dashboards', 'fieldline', f), 'utf8')).uid).toMatch(/^fieldline-/);
    for (const f of ['provisioning/datasources/fieldline.yaml', 'README.md'])
      expect(readFileSync(join(out, f), 'utf8')).not.toContain('s3cret-db-pass');
    // A folder that is not empty is refused.
    const again = await runCli(['grafana', 'export', '--out', out], { FIELDLINE_DATA_DIR: dir });
    expect(again.code).toBe(2);
    expect(existsSync(join(out, 'README.md'))).toBe(true);
  });

  it('are downloadable as provisioning.zip by platform administrators only', async () => {
    expect((await fetch(`${t.url}/api/v1/grafana/provisioning.zip`)).status).toBe(401);
    const { tokens } = await createOrgWithMembers(t, 'Grafana Org');
    const owner = await fetch(`${t.url}/api/v1/grafana/provisioning.zip`, {
      headers: { authorization: `Bearer ${tokens.owner}` },
    });
    expect(owner.status).toBe(403);
    const res = await fetch(`${t.url}/api/v1/grafana/provisioning.zip?prometheus_url=http://prometheus:9090`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual([
      'grafana/README.md',
      'grafana/dashboards/fieldline/fieldline-alerts-rules.json',
      'grafana/dashboards/fieldline/fieldline-device-overview.json',
      'grafana/dashboards/fieldline/fieldline-platform.json',
      'grafana/dashboards/fieldline/fieldline-telemetry.json',
      'grafana/provisioning/dashboards/fieldline.yaml',
      'grafana/provisioning/datasources/fieldline.yaml',
    ]);
  });

  it('come with a generated stack that has Grafana and Fieldline, and not without Fieldline', async () => {
    const gen = async (services: string[]) => {
      const r = await t.api('/api/v1/stack/generate', {
        token: t.adminToken,
        body: { instances: services.map((app_id) => ({ app_id })) },
      });
      expect(r.status, r.text).toBe(200);
      return new Map<string, string>(r.body.files.map((f: { path: string; content: string }) => [f.path, f.content]));
    };
    const files = await gen(['fieldline', 'postgres', 'grafana', 'prometheus']);
    for (const name of Object.keys(dashboards))
      expect(files.has(`configs/grafana/dashboards/fieldline/${name}`), name).toBe(true);
    const providers = parse(files.get('configs/grafana/provisioning/dashboards/dashboards.yaml') as string);
    expect(providers.providers.map((p: { folder: string }) => p.folder)).toContain('Fieldline');
    // The dashboards find the stack's datasources: the default Prometheus, and Fieldline's database by name.
    const ds = parse(files.get('configs/grafana/provisioning/datasources/datasources.yaml') as string).datasources;
    expect(ds.find((d: { type: string }) => d.type === 'prometheus')).toBeTruthy();
    expect(
      ds.some(
        (d: { type: string; name: string }) => d.type === 'grafana-postgresql-datasource' && /^Fieldline/.test(d.name),
      ),
    ).toBe(true);

    const without = await gen(['grafana', 'prometheus']);
    expect([...without.keys()].some((p) => p.includes('dashboards/fieldline/'))).toBe(false);
  });
});
