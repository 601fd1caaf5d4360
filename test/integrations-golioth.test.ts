import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';
import { expectStatus } from './helpers/integrations.js';
import { waitFor } from './helpers/notify.js';

const API_KEY = 'golioth-api-key-for-tests-0001';
const PROJECT = 'demo-project';
const GOLIOTH_DEVICE = '612d3cecf3ee17d321adbec6';

/**
 * A local stand-in for Golioth's Management REST API, playing the documented endpoints Fieldline calls
 * (https://api.golioth.io/openapi.json): x-api-key authentication, `{data}` / `{list}` answers, rpcStatus errors.
 */
class FakeGolioth {
  server: Server | null = null;
  url = '';
  readonly calls: { method: string; path: string; body: unknown }[] = [];
  readonly state = new Map<string, unknown>();
  readonly devices = new Map<string, { id: string; name: string; tagIds: string[] }>([
    [GOLIOTH_DEVICE, { id: GOLIOTH_DEVICE, name: 'thermo-1', tagIds: ['tag-prod'] }],
  ]);
  readonly releases = new Map<string, { id: string; deviceTagIds: string[]; artifactIds: string[]; rollout: boolean }>([
    ['rel-beta', { id: 'rel-beta', deviceTagIds: ['tag-beta'], artifactIds: ['art-2'], rollout: false }],
    ['rel-prod', { id: 'rel-prod', deviceTagIds: ['tag-prod'], artifactIds: ['art-1'], rollout: true }],
    ['rel-other', { id: 'rel-other', deviceTagIds: ['tag-other'], artifactIds: ['art-3'], rollout: false }],
  ]);

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : undefined;
    const url = new URL(req.url ?? '/', 'http://x');
    this.calls.push({ method: req.method ?? '', path: url.pathname + url.search, body });
    if (req.headers['x-api-key'] !== API_KEY) return { status: 401, body: { code: 16, message: 'invalid API key' } };
    const prefix = `/v1/projects/${PROJECT}`;
    if (!url.pathname.startsWith(prefix)) return { status: 404, body: { code: 5, message: 'project not found' } };
    const path = url.pathname.slice(prefix.length);
    if (path === '/devices' && req.method === 'GET')
      return {
        status: 200,
        body: { list: [...this.devices.values()].slice(0, 1), page: 0, perPage: 1, total: this.devices.size },
      };
    const deviceMatch = /^\/devices\/([^/]+)$/.exec(path);
    if (deviceMatch) {
      const m = deviceMatch;
      const device = this.devices.get(m[1] as string);
      if (!device) return { status: 404, body: { code: 5, message: 'device not found' } };
      if (req.method === 'PATCH') for (const t of body.addTagId ?? []) device.tagIds.push(t);
      return { status: 200, body: { data: device } };
    }
    const stateMatch = /^\/devices\/([^/]+)\/data(\/.*)?$/.exec(path);
    if (stateMatch) {
      const m = stateMatch;
      const key = `${m[1]}${m[2] ?? ''}`;
      if (req.method === 'GET') return { status: 200, body: { data: this.state.get(key) ?? null } };
      this.state.set(key, body);
      return { status: 200, body: {} };
    }
    const rpcMatch = /^\/devices\/([^/]+)\/rpc$/.exec(path);
    if (rpcMatch) {
      if (body.method === 'multiply')
        return { status: 200, body: { statusCode: 0, detail: { value: body.params[0] * body.params[1] } } };
      if (body.method === 'offline') return { status: 504, body: { code: 4, message: 'device did not respond' } };
      return { status: 200, body: { statusCode: 12, detail: {} } };
    }
    if (path === '/releases')
      return { status: 200, body: { list: [...this.releases.values()], total: this.releases.size } };
    const releaseMatch = /^\/releases\/([^/]+)$/.exec(path);
    if (releaseMatch) {
      const m = releaseMatch;
      const r = this.releases.get(m[1] as string);
      if (!r) return { status: 404, body: { code: 5, message: 'release not found' } };
      if (req.method === 'PATCH' && typeof body.rollout === 'boolean') r.rollout = body.rollout;
      return { status: 200, body: { data: r } };
    }
    return { status: 404, body: { code: 5, message: `no route ${path}` } };
  }
}

describe("Golioth integration (against a local server playing Golioth's REST API)", () => {
  let t: TestApp;
  const golioth = new FakeGolioth();
  let id: string;
  let secret: string;
  const deviceId = `golioth-${GOLIOTH_DEVICE}`;

  beforeAll(async () => {
    await golioth.start();
    // Loopback is refused by the SSRF guard unless allowed, as for webhooks.
    t = await startTestApp({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8' });
    const created = expectStatus(
      await t.api('/api/v1/integrations', {
        token: t.adminToken,
        body: {
          type: 'golioth',
          name: 'Golioth fleet',
          config: { project_id: PROJECT, api_key: API_KEY, api_url: golioth.url },
        },
      }),
      201,
    );
    id = created.body.id;
    secret = created.body.credentials.webhook_secret;
    expect(created.body.config).toMatchObject({ api_key: '***', webhook_secret: '***', project_id: PROJECT });
    expect(created.body.webhook_url).toBe(`/api/v1/integrations/${id}/golioth/webhook`);
  });

  afterAll(async () => {
    await t?.close();
    await golioth.stop();
  });

  const webhook = (headers: Record<string, string>, body: unknown) =>
    t.api(`/api/v1/integrations/${id}/golioth/webhook`, { headers, body });
  const pipelines = { 'ce-source': GOLIOTH_DEVICE, 'ce-subject': PROJECT, 'ce-type': 'io.golioth.data.v1/.s/sensor' };

  it('keeps the API key and webhook secret out of the rows and every answer', async () => {
    const rows = JSON.stringify(await t.app.storage.db.selectFrom('integrations').selectAll().execute());
    expect(rows).not.toContain(API_KEY);
    expect(rows).not.toContain(secret);
    const listed = await t.api('/api/v1/integrations', { token: t.adminToken });
    expect(listed.text).not.toContain(API_KEY);
    expect(listed.text).not.toContain(secret);
  });

  it('refuses a webhook without the shared secret or with a wrong one, storing nothing', async () => {
    const none = await webhook(pipelines, { temp: 20 });
    expect(none.status).toBe(401);
    const wrong = await webhook({ ...pipelines, 'x-fieldline-secret': `${secret}x` }, { temp: 20 });
    expect(wrong.status).toBe(401);
    const unknown = await t.api('/api/v1/integrations/00000000-0000-7000-8000-000000000000/golioth/webhook', {
      headers: { ...pipelines, 'x-fieldline-secret': secret },
      body: { temp: 20 },
    });
    expect(unknown.status).toBe(401);
    expect((await t.api(`/api/v1/devices/${deviceId}`, { token: t.adminToken })).status).toBe(404);
  });

  it('creates the device on first sight and stores stream data as telemetry (Pipelines and Output Streams)', async () => {
    const first = await webhook({ ...pipelines, 'x-fieldline-secret': secret }, { temp: 21.5, env: { hum: 40 } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      device_id: deviceId,
      golioth_device_id: GOLIOTH_DEVICE,
      kind: 'stream',
      points: 2,
      device_created: true,
    });
    const device = await t.api(`/api/v1/devices/${deviceId}`, { token: t.adminToken });
    expect(device.body).toMatchObject({ device_type: 'golioth', metadata: { golioth: { device_id: GOLIOTH_DEVICE } } });
    const latest = await t.api(`/api/v1/telemetry/${deviceId}/latest`, { token: t.adminToken });
    expect(latest.body.values['sensor.temp'].value).toBe(21.5);
    expect(latest.body.values['sensor.env.hum'].value).toBe(40);

    const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
    const legacy = await t.api(`/api/v1/integrations/${id}/golioth/webhook`, {
      headers: { authorization: `Bearer ${secret}`, 'ce-subject': 'stream' },
      body: {
        data: { temp: 19 },
        device_id: GOLIOTH_DEVICE,
        project_id: PROJECT,
        timestamp: { seconds: ts / 1000, nanos: 0 },
      },
    });
    expect(legacy.body).toMatchObject({ device_id: deviceId, points: 1, device_created: false });
    const series = await t.api(
      `/api/v1/telemetry/${deviceId}?keys=temp&start=2026-01-01T00:00:00Z&end=2026-01-03T00:00:00Z`,
      {
        token: t.adminToken,
      },
    );
    expect(series.body.series.temp).toEqual([{ ts: new Date(ts).toISOString(), value: 19 }]);

    const otherProject = await webhook(
      { ...pipelines, 'ce-subject': 'someone-else', 'x-fieldline-secret': secret },
      { temp: 1 },
    );
    expect(otherProject.status).toBe(422);
    const one = await t.api(`/api/v1/integrations/${id}`, { token: t.adminToken });
    expect(one.body.error_message).toMatch(/someone-else/);
    const ok = await webhook({ ...pipelines, 'x-fieldline-secret': secret }, { temp: 22 });
    expect(ok.status).toBe(200);
    const healthy = await t.api(`/api/v1/integrations/${id}`, { token: t.adminToken });
    expect(healthy.body).toMatchObject({ health: { state: 'ok' }, sync_status: 'received', error_message: null });
    expect(healthy.body.last_sync_at).not.toBeNull();
  });

  it('tests the API key against Golioth', async () => {
    const ok = await t.api(`/api/v1/integrations/${id}/test`, { token: t.adminToken, body: {} });
    expect(ok.body).toMatchObject({ status: 'success', devices: 1 });
    const bad = await t.api(`/api/v1/integrations/${id}/test`, {
      token: t.adminToken,
      body: { config: { api_key: 'nope' } },
    });
    expect(bad.body).toMatchObject({ status: 'error' });
    expect(bad.body.message).toMatch(/refused the API key: invalid API key/);
    expect(golioth.calls.at(-1)?.path).toBe(`/v1/projects/${PROJECT}/devices?perPage=1&page=0`);
  });

  it('reads and writes LightDB State and calls RPCs on the linked device', async () => {
    const put = await t.api(`/api/v1/integrations/${id}/golioth/devices/${deviceId}/state`, {
      method: 'PUT',
      token: t.adminToken,
      body: { path: 'desired/led', value: { on: true } },
    });
    expect(put.status).toBe(200);
    expect(golioth.calls.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/v1/projects/${PROJECT}/devices/${GOLIOTH_DEVICE}/data/desired/led`,
    });
    const get = await t.api(`/api/v1/integrations/${id}/golioth/devices/${deviceId}/state?path=desired/led`, {
      token: t.adminToken,
    });
    expect(get.body).toEqual({ device_id: deviceId, path: 'desired/led', data: { on: true } });
    const rpc = await t.api(`/api/v1/integrations/${id}/golioth/devices/${deviceId}/rpc`, {
      token: t.adminToken,
      body: { method: 'multiply', params: [6, 7] },
    });
    expect(rpc.body).toEqual({ status_code: 0, detail: { value: 42 } });
    const offline = await t.api(`/api/v1/integrations/${id}/golioth/devices/${deviceId}/rpc`, {
      token: t.adminToken,
      body: { method: 'offline' },
    });
    expect(offline.status).toBe(502);
    expect(offline.body.detail).toMatch(/device did not respond/);
    const notLinked = await t.api(`/api/v1/integrations/${id}/golioth/devices/some-other/state`, {
      token: t.adminToken,
    });
    expect(notLinked.status).toBe(404);
  });

  it('sends Fieldline commands to Golioth devices as RPC and records the answer', async () => {
    const cmd = await t.api(`/api/v1/devices/${deviceId}/commands`, {
      token: t.adminToken,
      body: { name: 'multiply', params: [7, 191] },
    });
    expect(cmd.status).toBeLessThan(300);
    const done = await waitFor(async () => {
      const c = await t.api(`/api/v1/devices/${deviceId}/commands/${cmd.body.id}`, { token: t.adminToken });
      return c.body.status === 'succeeded' || c.body.status === 'failed' ? c.body : null;
    }, 'the command answered');
    expect(done).toMatchObject({ status: 'succeeded', response: { value: 1337 } });
    const rpcCall = golioth.calls.find(
      (c) =>
        c.path.endsWith('/rpc') &&
        (c.body as { method: string }).method === 'multiply' &&
        (c.body as { params: number[] }).params[1] === 191,
    );
    expect(rpcCall?.body).toMatchObject({ method: 'multiply', params: [7, 191], timeout: 10 });
    const failing = await t.api(`/api/v1/devices/${deviceId}/commands`, {
      token: t.adminToken,
      body: { name: 'explode' },
    });
    const failed = await waitFor(async () => {
      const c = await t.api(`/api/v1/devices/${deviceId}/commands/${failing.body.id}`, { token: t.adminToken });
      return c.body.status === 'failed' ? c.body : null;
    }, 'the command failed');
    expect(failed.error).toMatch(/Golioth RPC status 12 \(unimplemented\)/);
  });

  it('lists the releases that target a device and rolls one out to it', async () => {
    const all = await t.api(`/api/v1/integrations/${id}/golioth/releases`, { token: t.adminToken });
    expect(all.body.items.map((r: { id: string }) => r.id)).toEqual(['rel-beta', 'rel-prod', 'rel-other']);
    const forDevice = await t.api(`/api/v1/integrations/${id}/golioth/releases?device_id=${deviceId}`, {
      token: t.adminToken,
    });
    expect(forDevice.body.items.map((r: { id: string }) => r.id)).toEqual(['rel-prod']);
    const ota = await t.api(`/api/v1/integrations/${id}/golioth/devices/${deviceId}/ota`, {
      token: t.adminToken,
      body: { release_id: 'rel-beta' },
    });
    expect(ota.status).toBe(200);
    expect(ota.body).toMatchObject({ device_tag_added: 'tag-beta', release: { id: 'rel-beta', rollout: true } });
    expect(golioth.devices.get(GOLIOTH_DEVICE)?.tagIds).toContain('tag-beta');
    const after = await t.api(`/api/v1/integrations/${id}/golioth/releases?device_id=${deviceId}`, {
      token: t.adminToken,
    });
    expect(after.body.items.map((r: { id: string }) => r.id)).toEqual(['rel-beta', 'rel-prod']);
  });

  it('refuses another organization everything, and lets viewers read but not change', async () => {
    const other = await createOrgWithMembers(t, 'Other Golioth Org');
    for (const [method, path] of [
      ['GET', `/api/v1/integrations/${id}`],
      ['PATCH', `/api/v1/integrations/${id}`],
      ['DELETE', `/api/v1/integrations/${id}`],
      ['POST', `/api/v1/integrations/${id}/test`],
      ['GET', `/api/v1/integrations/${id}/golioth/releases`],
      ['GET', `/api/v1/integrations/${id}/golioth/devices/${deviceId}/state`],
      ['POST', `/api/v1/integrations/${id}/golioth/devices/${deviceId}/rpc`],
    ] as const) {
      const body =
        method === 'PATCH'
          ? { name: 'taken over' }
          : method === 'POST' && path.endsWith('rpc')
            ? { method: 'multiply', params: [1, 2] }
            : method === 'POST'
              ? {}
              : undefined;
      const r = await t.api(path, { method, token: other.tokens.owner, body });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    const listed = await t.api('/api/v1/integrations', { token: other.tokens.owner });
    expect(listed.body.items).toEqual([]);
    const viewerList = await t.api('/api/v1/integrations', { token: other.tokens.viewer });
    expect(viewerList.status).toBe(200);
    const viewerCreate = await t.api('/api/v1/integrations', {
      token: other.tokens.viewer,
      body: { type: 'golioth', name: 'x', config: { project_id: 'p' } },
    });
    expect(viewerCreate.status).toBe(403);
    const operatorCreate = await t.api('/api/v1/integrations', {
      token: other.tokens.operator,
      body: { type: 'golioth', name: 'x', config: { project_id: 'p' } },
    });
    expect(operatorCreate.status).toBe(403);
    const adminCreate = await t.api('/api/v1/integrations', {
      token: other.tokens.admin,
      body: { type: 'golioth', name: 'x', config: { project_id: 'p', webhook_secret: 'a-long-enough-secret-value' } },
    });
    expect(adminCreate.status).toBe(201);
    expect(adminCreate.body.credentials).toBeUndefined();
    // The same Golioth device sent to the other organization's integration: its Fieldline id is taken here.
    const clash = await t.api(`/api/v1/integrations/${adminCreate.body.id}/golioth/webhook`, {
      headers: { ...pipelines, 'ce-subject': 'p', 'x-fieldline-secret': 'a-long-enough-secret-value' },
      body: { temp: 1 },
    });
    expect(clash.status).toBe(409);
    const still = await t.api(`/api/v1/telemetry/${deviceId}/latest`, { token: t.adminToken });
    expect(still.body.values['sensor.temp'].value).toBe(22);
  });
});
