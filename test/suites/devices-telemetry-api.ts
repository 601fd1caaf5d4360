import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from '../helpers/app.js';

/** The device registry and HTTP telemetry as users rely on them; runs on SQLite and on PostgreSQL. */
export function devicesTelemetryApiSuite(dialect: string) {
  describe(`devices and telemetry API (${dialect})`, () => {
    let t: TestApp;
    let other: Awaited<ReturnType<typeof createOrgWithMembers>>;
    beforeAll(async () => {
      t = await startTestApp();
      other = await createOrgWithMembers(t, 'Other Plant');
    });
    afterAll(async () => {
      await t.close();
    });

    const createDevice = async (body: Record<string, unknown>) => {
      const r = await t.api('/api/v1/devices', { token: t.adminToken, body });
      expect(r.status, r.text).toBe(201);
      return r.body;
    };

    it('creates a device with the id the user chose and shows its access token once', async () => {
      const d = await createDevice({
        id: 'device-001',
        name: 'Boiler 1',
        device_type: 'boiler',
        location: 'Hall A',
        metadata: { vendor: 'ACME' },
      });
      expect(d).toMatchObject({
        id: 'device-001',
        name: 'Boiler 1',
        device_type: 'boiler',
        status: 'offline',
        active: true,
        metadata: { vendor: 'ACME' },
      });
      expect(d.credentials.access_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const read = await t.api('/api/v1/devices/device-001', { token: t.adminToken });
      expect(read.text).not.toContain(d.credentials.access_token);
      expect(
        (await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'device-001', name: 'dup' } })).status,
      ).toBe(409);
      const generated = await createDevice({ name: 'No id given' });
      expect(generated.id).toMatch(/^dev-/);
    });

    it('lists with type, status and name filters and a cursor', async () => {
      await createDevice({ id: 'pump-1', name: 'Cooling pump', device_type: 'pump' });
      await createDevice({ id: 'pump-2', name: 'Feed pump', device_type: 'pump' });
      const pumps = await t.api('/api/v1/devices?device_type=pump', { token: t.adminToken });
      expect(pumps.body.items.map((d: { id: string }) => d.id)).toEqual(['pump-1', 'pump-2']);
      const search = await t.api('/api/v1/devices?search=COOLING', { token: t.adminToken });
      expect(search.body.items.map((d: { id: string }) => d.id)).toEqual(['pump-1']);
      const first = await t.api('/api/v1/devices?limit=1&device_type=pump', { token: t.adminToken });
      const second = await t.api(`/api/v1/devices?limit=1&device_type=pump&cursor=${first.body.next_cursor}`, {
        token: t.adminToken,
      });
      expect(second.body.items[0].id).toBe('pump-2');
      expect(
        (await t.api('/api/v1/devices?status=offline', { token: t.adminToken })).body.items.length,
      ).toBeGreaterThan(2);
    });

    it('searches names in any case of any script, and takes % and _ literally', async () => {
      await createDevice({ id: 'oil-1', name: 'Ölpumpe Süd', device_type: 'search' });
      await createDevice({ id: 'valve-50', name: '50% valve', device_type: 'search' });
      await createDevice({ id: 'valve-500', name: '500 valve', device_type: 'search' });
      const found = async (term: string) =>
        (
          await t.api(`/api/v1/devices?device_type=search&search=${encodeURIComponent(term)}`, {
            token: t.adminToken,
          })
        ).body.items.map((d: { id: string }) => d.id);
      for (const term of ['Ölpumpe', 'ölpumpe', 'ÖLPUMPE', 'SÜD', 'süd']) expect(await found(term)).toEqual(['oil-1']);
      expect(await found('50%')).toEqual(['valve-50']);
      expect(await found('0_v')).toEqual([]);
      expect(await found('valve')).toEqual(['valve-50', 'valve-500']);
    });

    it('hides devices of other organizations (404) and keeps viewers read-only', async () => {
      expect((await t.api('/api/v1/devices/device-001', { token: other.tokens.owner })).status).toBe(404);
      expect((await t.api('/api/v1/telemetry/device-001/latest', { token: other.tokens.owner })).status).toBe(404);
      expect(
        (
          await t.api('/api/v1/telemetry', {
            token: other.tokens.owner,
            body: { device_id: 'device-001', data: { t: 1 } },
          })
        ).status,
      ).toBe(404);
      expect((await t.api('/api/v1/devices', { token: other.tokens.viewer, body: { name: 'x' } })).status).toBe(403);
      expect((await t.api('/api/v1/devices', { token: other.tokens.viewer })).body.items).toEqual([]);
    });

    it('stores HTTP telemetry and answers range, aggregate, latest and CSV queries', async () => {
      await createDevice({ id: 'press-7', name: 'Press 7' });
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (let i = 0; i < 6; i++) {
        const r = await t.api('/api/v1/telemetry', {
          token: t.adminToken,
          body: {
            device_id: 'press-7',
            timestamp: new Date(base + i * 30_000).toISOString(),
            data: { temperature: 20 + i, running: i % 2 === 0, mode: 'auto' },
          },
        });
        expect(r.status, r.text).toBe(200);
        expect(r.body).toEqual({ device_id: 'press-7', accepted: 3 });
      }
      const range = await t.api(
        `/api/v1/telemetry/press-7?start=${base}&end=${base + 3_600_000}&keys=temperature,running`,
        { token: t.adminToken },
      );
      expect(range.status).toBe(200);
      expect(range.body.series.temperature).toHaveLength(6);
      expect(range.body.series.temperature[0]).toEqual({ ts: '2026-01-01T00:00:00.000Z', value: 20 });
      expect(range.body.series.running[1].value).toBe(false);
      expect(range.body.series.mode).toBeUndefined();

      const avg = await t.api(
        `/api/v1/telemetry/press-7?start=${base}&end=${base + 3_600_000}&keys=temperature&agg=avg&interval=60s`,
        { token: t.adminToken },
      );
      expect(avg.body.series.temperature).toEqual([
        { ts: '2026-01-01T00:00:00.000Z', value: 20.5 },
        { ts: '2026-01-01T00:01:00.000Z', value: 22.5 },
        { ts: '2026-01-01T00:02:00.000Z', value: 24.5 },
      ]);
      const max = await t.api(
        `/api/v1/telemetry/press-7?start=${base}&end=${base + 3_600_000}&keys=temperature&agg=max&interval=1h`,
        { token: t.adminToken },
      );
      expect(max.body.series.temperature).toEqual([{ ts: '2026-01-01T00:00:00.000Z', value: 25 }]);
      const count = await t.api(
        `/api/v1/telemetry/press-7?start=${base}&end=${base + 3_600_000}&agg=count&interval=1h`,
        { token: t.adminToken },
      );
      expect(count.body.series.temperature[0].value).toBe(6);

      const latest = await t.api('/api/v1/telemetry/press-7/latest', { token: t.adminToken });
      expect(latest.body).toEqual({
        device_id: 'press-7',
        values: {
          mode: { ts: '2026-01-01T00:02:30.000Z', value: 'auto' },
          running: { ts: '2026-01-01T00:02:30.000Z', value: false },
          temperature: { ts: '2026-01-01T00:02:30.000Z', value: 25 },
        },
      });

      const csv = await fetch(`${t.url}/api/v1/telemetry/press-7?start=${base}&end=${base + 3_600_000}&keys=mode`, {
        headers: { authorization: `Bearer ${t.adminToken}`, accept: 'text/csv' },
      });
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const lines = (await csv.text()).trim().split('\n');
      expect(lines[0]).toBe('device_id,key,ts,value');
      expect(lines[1]).toBe('press-7,mode,2026-01-01T00:00:00.000Z,auto');
      expect(lines).toHaveLength(7);
      // A client that takes CSV but prefers JSON gets JSON.
      const json = await fetch(`${t.url}/api/v1/telemetry/press-7?start=${base}&end=${base + 3_600_000}&keys=mode`, {
        headers: { authorization: `Bearer ${t.adminToken}`, accept: 'text/csv;q=0.5, application/json;q=0.9' },
      });
      expect(json.headers.get('content-type')).toContain('application/json');

      expect(
        (await t.api(`/api/v1/telemetry/press-7?agg=avg&interval=fortnight`, { token: t.adminToken })).body.errors[0]
          .field,
      ).toBe('interval');
      expect(
        (await t.api(`/api/v1/telemetry/press-7?start=${base + 10}&end=${base}`, { token: t.adminToken })).status,
      ).toBe(400);
    });

    const send = async (deviceId: string, ts: number, data: Record<string, unknown>) => {
      const r = await t.api('/api/v1/telemetry', {
        token: t.adminToken,
        body: { device_id: deviceId, timestamp: ts, data },
      });
      expect(r.status, r.text).toBe(200);
    };
    const csvOf = async (path: string) => {
      const r = await fetch(`${t.url}${path}`, {
        headers: { authorization: `Bearer ${t.adminToken}`, accept: 'text/csv' },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/csv');
      return { text: await r.text(), truncated: r.headers.get('fieldline-truncated') };
    };
    const iso = (ms: number) => new Date(ms).toISOString();
    const values = (points: { value: unknown }[]) => points.map((p) => p.value);

    it('limits each key on its own to its newest points, in ascending order, and names the keys it cut', async () => {
      await createDevice({ id: 'four-keys', name: 'Four keys' });
      const base = Date.parse('2026-02-01T00:00:00Z');
      for (let i = 0; i < 10; i++)
        await send('four-keys', base + i * 30_000, {
          humidity: 40 + i,
          temperature: 20 + i,
          vibration: i,
          ...(i < 3 ? { pressure: 1 + i } : {}),
        });
      const range = `start=${base}&end=${base + 3_600_000}`;
      const all = await t.api(`/api/v1/telemetry/four-keys?${range}`, { token: t.adminToken });
      expect(all.body.truncated).toEqual([]);
      expect(Object.keys(all.body.series).sort()).toEqual(['humidity', 'pressure', 'temperature', 'vibration']);
      expect(all.body.series.vibration).toHaveLength(10);

      const cut = await t.api(`/api/v1/telemetry/four-keys?${range}&limit=4`, { token: t.adminToken });
      expect(cut.status).toBe(200);
      expect(cut.body.truncated).toEqual(['humidity', 'temperature', 'vibration']);
      expect(values(cut.body.series.temperature)).toEqual([26, 27, 28, 29]);
      expect(cut.body.series.temperature[0].ts).toBe(iso(base + 6 * 30_000));
      expect(values(cut.body.series.humidity)).toEqual([46, 47, 48, 49]);
      expect(values(cut.body.series.vibration)).toEqual([6, 7, 8, 9]);
      expect(values(cut.body.series.pressure)).toEqual([1, 2, 3]);

      // Buckets are limited the same way: the newest `limit` buckets of each key.
      const buckets = await t.api(
        `/api/v1/telemetry/four-keys?${range}&keys=humidity,pressure&agg=count&interval=60s&limit=2`,
        { token: t.adminToken },
      );
      expect(buckets.body.series).toEqual({
        humidity: [
          { ts: iso(base + 180_000), value: 2 },
          { ts: iso(base + 240_000), value: 2 },
        ],
        pressure: [
          { ts: iso(base), value: 2 },
          { ts: iso(base + 60_000), value: 1 },
        ],
      });
      expect(buckets.body.truncated).toEqual(['humidity']);

      // CSV answers the same points, and says what was cut in a header.
      const csv = await csvOf(`/api/v1/telemetry/four-keys?${range}&keys=temperature,pressure&limit=4`);
      expect(csv.truncated).toBe('temperature');
      const lines = csv.text.trim().split('\n');
      expect(lines.slice(1).sort()).toEqual(
        ['pressure', 'temperature']
          .flatMap((k) =>
            cut.body.series[k].map((p: { ts: string; value: number }) => `four-keys,${k},${p.ts},${p.value}`),
          )
          .sort(),
      );
      expect((await csvOf(`/api/v1/telemetry/four-keys?${range}`)).truncated).toBeNull();
    });

    it('aggregates over the whole range without interval, stamped at start, and in epoch-aligned buckets with one', async () => {
      await createDevice({ id: 'agg-range', name: 'Aggregates' });
      const minute = Date.parse('2026-12-01T08:00:00Z');
      // Before start, six points in [start, end) across a minute boundary, one at end (excluded), and a text.
      for (const s of [0, 5, 15, 25, 35, 45, 60, 65])
        await send('agg-range', minute + s * 1000, { v: s, mode: 'auto' });
      const range = `start=${minute + 5000}&end=${minute + 65_000}`;
      const count = await t.api(`/api/v1/telemetry/agg-range?${range}&agg=count&keys=v`, { token: t.adminToken });
      expect(count.status).toBe(200);
      expect(count.body).toEqual({
        device_id: 'agg-range',
        series: { v: [{ ts: iso(minute + 5000), value: 6 }] },
        truncated: [],
      });
      const sum = await t.api(`/api/v1/telemetry/agg-range?${range}&agg=sum`, { token: t.adminToken });
      // Texts are left out of aggregates: no series for mode.
      expect(sum.body.series).toEqual({ v: [{ ts: iso(minute + 5000), value: 185 }] });
      const empty = await t.api(`/api/v1/telemetry/agg-range?start=${minute + 70_000}&end=${minute + 80_000}&agg=avg`, {
        token: t.adminToken,
      });
      expect(empty.body.series).toEqual({});
      // With an interval the buckets stay aligned to the epoch: the first one starts before `start` and is stamped
      // with its own start, but holds only points at or after `start`.
      const perMinute = await t.api(`/api/v1/telemetry/agg-range?${range}&agg=count&keys=v&interval=1m`, {
        token: t.adminToken,
      });
      expect(perMinute.body.series.v).toEqual([
        { ts: iso(minute), value: 5 },
        { ts: iso(minute + 60_000), value: 1 },
      ]);
    });

    it('refuses start and end in epoch seconds, and reads end as exclusive', async () => {
      await createDevice({ id: 'time-params', name: 'Times' });
      const at = Date.parse('2026-03-01T00:00:00Z');
      await send('time-params', at, { v: 1 });
      for (const field of ['start', 'end']) {
        const other = field === 'start' ? `end=${at + 1}` : `start=${at - 1}`;
        const r = await t.api(`/api/v1/telemetry/time-params?${field}=${at / 1000}&${other}`, { token: t.adminToken });
        expect(r.status, r.text).toBe(400);
        expect(r.body.errors[0].field).toBe(field);
        expect(r.body.detail).toMatch(/looks like epoch seconds/);
      }
      const read = async (query: string) =>
        (await t.api(`/api/v1/telemetry/time-params?${query}`, { token: t.adminToken })).body.series.v ?? [];
      expect(await read(`start=${at}&end=${at + 1}`)).toHaveLength(1);
      expect(await read(`start=${at - 1000}&end=${at}`)).toHaveLength(0);
      expect(await read(`start=${at - 1000}&end=${at + 1}`)).toHaveLength(1);
      expect(await read(`start=2026-03-01T00:00:00Z&end=2026-03-01T00:00:00.001Z`)).toHaveLength(1);
      expect(await read(`start=0&end=${at + 1}`)).toHaveLength(1);
    });

    it('answers latest values as CSV too, and keeps spreadsheet formulas out of CSV', async () => {
      await createDevice({ id: 'csv-cells', name: 'CSV' });
      const at = Date.parse('2026-04-01T00:00:00Z');
      await send('csv-cells', at, {
        '=cmd': '=HYPERLINK("http://evil.example","x")',
        '@at': 'ok',
        flag: true,
        neg: -5,
        neg_text: '-5',
        note: '+1, "quoted"\nnext line',
        plain: 'auto',
      });
      const ts = iso(at);
      const expected = [
        'device_id,key,ts,value',
        `csv-cells,"'=cmd",${ts},"'=HYPERLINK(""http://evil.example"",""x"")"`,
        `csv-cells,"'@at",${ts},ok`,
        `csv-cells,flag,${ts},true`,
        `csv-cells,neg,${ts},-5`,
        `csv-cells,neg_text,${ts},"'-5"`,
        `csv-cells,note,${ts},"'+1, ""quoted""\nnext line"`,
        `csv-cells,plain,${ts},auto`,
        '',
      ];
      expect((await csvOf('/api/v1/telemetry/csv-cells/latest')).text).toBe(expected.join('\n'));
      // The history answers each key's lines alike.
      for (const line of expected.slice(1, -1)) {
        const key = (line.split(',')[1] as string).replace(/^"'|"$/g, '');
        const history = await csvOf(
          `/api/v1/telemetry/csv-cells?start=${at}&end=${at + 1}&keys=${encodeURIComponent(key)}`,
        );
        expect(history.text).toBe(`device_id,key,ts,value\n${line}\n`);
      }
      const json = await t.api('/api/v1/telemetry/csv-cells/latest?keys=neg', { token: t.adminToken });
      expect(json.body).toEqual({ device_id: 'csv-cells', values: { neg: { ts, value: -5 } } });
    });

    it('keeps nested JSON as JSON and a resend of the same timestamp as one point', async () => {
      await createDevice({ id: 'plc-json', name: 'PLC' });
      const body = {
        device_id: 'plc-json',
        timestamp: 1_767_225_600_000,
        data: { config: { setpoint: 40, modes: ['a', 'b'] } },
      };
      await t.api('/api/v1/telemetry', { token: t.adminToken, body });
      await t.api('/api/v1/telemetry', { token: t.adminToken, body });
      const range = await t.api('/api/v1/telemetry/plc-json?start=1767225600000&end=1767225600001', {
        token: t.adminToken,
      });
      expect(range.body.series.config).toEqual([
        { ts: '2026-01-01T00:00:00.000Z', value: { setpoint: 40, modes: ['a', 'b'] } },
      ]);
    });

    it('accepts ThingsBoard HTTP device API payloads with the token in the path', async () => {
      const d = await createDevice({ id: 'tb-http', name: 'TB firmware' });
      const token = d.credentials.access_token;
      const post = (body: unknown) => t.api(`/api/v1/${token}/telemetry`, { body });
      expect((await post({ temperature: 21.5 })).status).toBe(200);
      expect((await post({ ts: 1_767_225_600_000, values: { humidity: 40 } })).status).toBe(200);
      expect((await post([{ ts: 1_767_225_601_000, values: { humidity: 41 } }, { pressure: 1.2 }])).body.accepted).toBe(
        2,
      );
      const latest = await t.api('/api/v1/telemetry/tb-http/latest', { token: t.adminToken });
      expect(Object.keys(latest.body.values).sort()).toEqual(['humidity', 'pressure', 'temperature']);
      expect(latest.body.values.humidity.value).toBe(41);
      expect((await t.api(`/api/v1/${token}/attributes`, { body: { firmware: '1.2.3' } })).status).toBe(200);
      expect((await t.api('/api/v1/devices/tb-http', { token: t.adminToken })).body.attributes).toEqual({
        firmware: '1.2.3',
      });
      expect((await t.api('/api/v1/not-a-token/telemetry', { body: { x: 1 } })).status).toBe(401);
    });

    it('refuses bad telemetry with a clear error and records it as the device last error', async () => {
      await createDevice({ id: 'bad-sender', name: 'Bad sender' });
      const deep = { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: 1 } } } } } } } } } };
      const r = await t.api('/api/v1/telemetry', {
        token: t.adminToken,
        body: { device_id: 'bad-sender', data: { nested: deep } },
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('FIELDLINE_ERR_VALIDATION');
      expect(r.body.detail).toContain('nested');
      const keyless = await t.api('/api/v1/telemetry', {
        token: t.adminToken,
        body: { device_id: 'bad-sender', data: { '': 1 } },
      });
      expect(keyless.status).toBe(400);
      const device = await t.api('/api/v1/devices/bad-sender', { token: t.adminToken });
      expect(device.body.last_error.message).toMatch(/invalid_value|invalid_key/);
      expect(
        (await t.api('/api/v1/telemetry', { token: t.adminToken, body: { device_id: 'bad-sender', data: 'x' } }))
          .status,
      ).toBe(400);
      expect(
        (
          await t.api('/api/v1/telemetry', {
            token: t.adminToken,
            body: { device_id: 'bad-sender', data: { t: 1 }, timestamp: 'yesterday' },
          })
        ).status,
      ).toBe(400);
    });

    it('rotates credentials: the old token stops working at once', async () => {
      const d = await createDevice({ id: 'rotating', name: 'Rotating' });
      const old = d.credentials.access_token;
      expect((await t.api(`/api/v1/${old}/telemetry`, { body: { x: 1 } })).status).toBe(200);
      // Sent as curl -X POST -H 'content-type: application/json' sends it: a JSON content type and no body.
      const rotated = await t.api('/api/v1/devices/rotating/credentials', {
        method: 'POST',
        token: t.adminToken,
        headers: { 'content-type': 'application/json' },
      });
      expect(rotated.status, rotated.text).toBe(200);
      // Where the creation answer has it, and (for earlier clients) at the top level.
      const fresh = rotated.body.credentials.access_token;
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(rotated.body.access_token).toBe(fresh);
      expect((await t.api(`/api/v1/${old}/telemetry`, { body: { x: 2 } })).status).toBe(401);
      expect((await t.api(`/api/v1/${fresh}/telemetry`, { body: { x: 3 } })).status).toBe(200);
      // A body that is there must still be JSON.
      const broken = await t.api('/api/v1/devices/rotating/credentials', {
        method: 'POST',
        token: t.adminToken,
        rawBody: '{"x":',
      });
      expect(broken.body.code).toBe('FIELDLINE_ERR_MALFORMED_JSON');
      // And Fastify's prototype-poisoning check still applies to bodies.
      const poisoned = await t.api('/api/v1/telemetry', {
        token: t.adminToken,
        rawBody: '{"device_id":"rotating","data":{"x":1},"__proto__":{"admin":true}}',
      });
      expect(poisoned.status).toBe(400);
      expect(poisoned.body.code).toBe('FIELDLINE_ERR_MALFORMED_JSON');
    });

    it('updates and deactivates a device; an inactive device cannot send', async () => {
      const d = await createDevice({ id: 'toggle', name: 'Toggle' });
      const updated = await t.api('/api/v1/devices/toggle', {
        method: 'PUT',
        token: t.adminToken,
        body: { name: 'Toggle 2', active: false, inactivity_timeout_s: 60 },
      });
      expect(updated.body).toMatchObject({ name: 'Toggle 2', active: false, inactivity_timeout_s: 60 });
      expect((await t.api(`/api/v1/${d.credentials.access_token}/telemetry`, { body: { x: 1 } })).status).toBe(401);
      expect(
        (await t.api('/api/v1/devices/toggle', { method: 'PUT', token: t.adminToken, body: { owner: 'me' } })).body
          .errors[0].field,
      ).toBe('owner');
    });

    it('deletes a device with its telemetry', async () => {
      await createDevice({ id: 'doomed', name: 'Doomed' });
      await t.api('/api/v1/telemetry', { token: t.adminToken, body: { device_id: 'doomed', data: { t: 1 } } });
      expect((await t.api('/api/v1/devices/doomed', { method: 'DELETE', token: t.adminToken })).status).toBe(204);
      expect((await t.api('/api/v1/devices/doomed', { token: t.adminToken })).status).toBe(404);
      await createDevice({ id: 'doomed', name: 'Reborn' });
      expect((await t.api('/api/v1/telemetry/doomed/latest', { token: t.adminToken })).body.values).toEqual({});
      const series = await t.app.storage.db
        .selectFrom('telemetry_series')
        .selectAll()
        .where('device_id', '=', 'doomed')
        .execute();
      expect(series).toEqual([]);
    });

    it('enforces per-organization retention, deleting only what is older than retention_days', async () => {
      const { orgId, tokens } = await createOrgWithMembers(t, 'Retention Plant');
      const created = await t.api('/api/v1/devices', {
        token: tokens.admin,
        body: { id: 'retained', name: 'Retained' },
      });
      expect(created.status).toBe(201);
      const now = Date.now();
      for (const age of [40, 20, 1]) {
        await t.api('/api/v1/telemetry', {
          token: tokens.admin,
          body: { device_id: 'retained', timestamp: now - age * 86_400_000, data: { t: age } },
        });
      }
      await t.api('/api/v1/telemetry', {
        token: t.adminToken,
        body: { device_id: 'press-7', timestamp: now - 300 * 86_400_000, data: { old: 1 } },
      });
      await t.api(`/api/v1/organizations/${orgId}`, {
        method: 'PATCH',
        token: tokens.admin,
        body: { settings: { retention_days: 30 } },
      });
      expect(await t.app.retention.sweep()).toBe(1);
      const left = await t.api(`/api/v1/telemetry/retained?keys=t&start=${now - 400 * 86_400_000}&end=${now + 1000}`, {
        token: tokens.admin,
      });
      expect(left.body.series.t.map((p: { value: number }) => p.value)).toEqual([20, 1]);
      // Organizations without retention_days keep everything.
      const old = await t.api(`/api/v1/telemetry/press-7?keys=old&start=${now - 400 * 86_400_000}&end=${now}`, {
        token: t.adminToken,
      });
      expect(old.body.series.old).toHaveLength(1);
    });

    it('marks a device online when data arrives, and says when it was last seen at once', async () => {
      await createDevice({ id: 'presence-http', name: 'P' });
      // Read before any data: the device's row is cached with no last_seen.
      expect((await t.api('/api/v1/devices/presence-http', { token: t.adminToken })).body.last_seen).toBeNull();
      const sent = Date.now();
      await t.api('/api/v1/telemetry', { token: t.adminToken, body: { device_id: 'presence-http', data: { t: 1 } } });
      const d = await t.api('/api/v1/devices/presence-http', { token: t.adminToken });
      expect(d.body.status).toBe('online');
      expect(Date.parse(d.body.last_seen)).toBeGreaterThanOrEqual(sent);
      const listed = await t.api('/api/v1/devices?search=presence-http', { token: t.adminToken });
      expect(listed.body.items.map((x: { last_seen: string }) => x.last_seen)).toEqual([d.body.last_seen]);
    });
  });
}
