import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldlineDashboards, isSql, type SqlTarget, targetsOf } from '../../src/observability/grafana/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { freshPgSchema, serviceUrl, unlessSet } from '../helpers/services.js';

const base = serviceUrl('FIELDLINE_TEST_PG_URL');

const quoted = (values: string[]) => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');

/**
 * Grafana's substitutions as the PostgreSQL datasource performs them: `$__from`/`$__to` are epoch ms,
 * `$__interval_ms` a whole number, `${var:sqlstring}` quoted, escaped and comma-separated.
 */
function substitute(sqlText: string, vars: Record<string, string[]>, from: number, to: number): string {
  const out = sqlText
    .replace(/\$\{(\w+):sqlstring\}/g, (_, name: string) => {
      const values = vars[name];
      if (!values) throw new Error(`no value for variable ${name}`);
      return quoted(values);
    })
    .replace(/\$__from\b/g, String(from))
    .replace(/\$__to\b/g, String(to))
    .replace(/\$__interval_ms\b/g, '60000');
  if (out.includes('$')) throw new Error(`unsubstituted macro or variable in: ${out}`);
  return out;
}

describe.skipIf(!base)(`dashboard SQL on PostgreSQL${unlessSet('FIELDLINE_TEST_PG_URL', base)}`, () => {
  let t: TestApp;
  let client: pg.Client;
  let drop: () => Promise<void>;
  const now = Date.now();
  const vars: Record<string, string[]> = {};

  beforeAll(async () => {
    const schema = await freshPgSchema(base as string);
    drop = schema.drop;
    t = await startTestApp({ FIELDLINE_DATABASE_URL: schema.url });
    client = new pg.Client({ connectionString: schema.url });
    await client.connect();

    for (const [id, name] of [
      ['boiler-1', 'Boiler 1'],
      ['pump-2', "O'Neil pump"],
    ]) {
      const r = await t.api('/api/v1/devices', { token: t.adminToken, body: { id, name } });
      expect(r.status, r.text).toBe(201);
      for (let i = 0; i < 5; i++) {
        const w = await t.api('/api/v1/telemetry', {
          token: t.adminToken,
          body: {
            device_id: id,
            timestamp: now - (5 - i) * 60_000,
            data: { temperature: 20 + i, running: i % 2 === 0, mode: 'auto' },
          },
        });
        expect(w.status, w.text).toBe(200);
      }
    }
    const org = (await client.query('select id from organizations')).rows.map((r) => r.id as string);
    // Rules and alerts as the rules engine writes them (its migration's columns).
    await client.query(
      `insert into rules (id, organization_id, name, rule_type, conditions, actions, severity, priority, enabled, created_at, updated_at)
       values ('rule-hot', $1, 'Too hot', 'threshold', '{}', '[]', 'critical', 5, 1, $2, $2)`,
      [org[0], now],
    );
    const alert = (id: string, severity: string, status: string, ackAt: number | null) =>
      client.query(
        `insert into alerts (id, organization_id, rule_id, rule_name, device_id, severity, status, message,
           created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at)
         values ($1, $2, 'rule-hot', 'Too hot', 'boiler-1', $3, $4, 'boiler-1 is too hot', $5, $5, $6, $7, $8)`,
        [
          id,
          org[0],
          severity,
          status,
          now - 120_000,
          ackAt,
          ackAt ? 'admin' : null,
          status === 'resolved' ? now : null,
        ],
      );
    await alert('alert-1', 'critical', 'resolved', now - 60_000);
    await alert('alert-2', 'warning', 'active', null);
    vars.organization = org;
    vars.device = ['boiler-1'];
    vars.key = ['temperature', 'running'];
  });
  afterAll(async () => {
    await client?.end();
    await t?.close();
    await drop?.();
  });

  for (const [file, d] of Object.entries(fieldlineDashboards())) {
    const sqlTargets = targetsOf(d).filter(isSql) as SqlTarget[];
    const variables = ((d.templating as { list: { name: string; type: string; query: unknown }[] }).list ?? []).filter(
      (v) => v.type === 'query',
    );
    if (sqlTargets.length === 0) continue;
    it(`${file}: every panel and variable query runs and answers`, async () => {
      for (const v of variables) {
        const r = await client.query(substitute(String(v.query), vars, now - 86_400_000, now + 1000));
        expect(
          r.fields.map((f) => f.name),
          v.name,
        ).toEqual(['__text', '__value']);
        expect(r.rowCount, v.name).toBeGreaterThan(0);
      }
      for (const panel of d.panels as { title: string; targets: SqlTarget[] }[])
        for (const target of panel.targets.filter(isSql)) {
          const text = substitute(target.rawSql, vars, now - 86_400_000, now + 1000);
          const r = await client.query(text).catch((err: Error) => {
            throw new Error(`${panel.title}: ${err.message}\n${text}`);
          });
          expect(r.rowCount, panel.title).toBeGreaterThan(0);
          if (target.format === 'time_series') expect(r.fields[0]?.name, panel.title).toBe('time');
        }
    });
  }

  it('answer with the figures the data says', async () => {
    const run = async (uid: string, title: string) => {
      const d = Object.values(fieldlineDashboards()).find((x) => x.uid === uid);
      const panels = (d?.panels ?? []) as { title: string; targets: SqlTarget[] }[];
      const target = panels.find((x) => x.title === title)?.targets[0];
      if (!target) throw new Error(`no panel ${title} in ${uid}`);
      return (await client.query(substitute(target.rawSql, vars, now - 86_400_000, now + 1000))).rows;
    };
    expect(Object.values((await run('fieldline-device-overview', 'Devices'))[0])).toEqual(['2']);
    expect(Object.values((await run('fieldline-device-overview', 'Active alerts'))[0])).toEqual(['1']);
    expect(Object.values((await run('fieldline-device-overview', 'Active rules'))[0])).toEqual(['1']);
    expect(Number(Object.values((await run('fieldline-alerts-rules', 'Acknowledgement rate'))[0] ?? {})[0])).toBe(50);
    const activity = await run('fieldline-device-overview', 'Telemetry activity (24 h)');
    expect(activity.reduce((a, r) => a + Number(r.points), 0)).toBe(2 * 5 * 3);
    const latest = await run('fieldline-telemetry', 'Latest readings of the device');
    expect(latest.map((r) => [r.Key, r.Value])).toEqual([
      ['mode', 'auto'],
      ['running', '1'],
      ['temperature', '24'],
    ]);
  });
});
