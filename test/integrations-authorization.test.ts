import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';
import { expectStatus, freeTcpPort } from './helpers/integrations.js';

type Role = 'owner' | 'admin' | 'operator' | 'viewer';
const ROLES: Role[] = ['owner', 'admin', 'operator', 'viewer'];
const RANK: Record<Role, number> = { owner: 4, admin: 3, operator: 2, viewer: 1 };

interface Ids {
  mqttA: string;
  subA: string;
  goliothA: string;
  mqttB: string;
  subB: string;
  goliothB: string;
}

interface RouteCase {
  method: string;
  route: string;
  path: (ids: Ids) => string;
  body?: () => unknown;
  min: Role;
  /** The same call on organization B's integration: 404 for every role of A that may make it. */
  foreign?: (ids: Ids) => string;
}

let n = 0;
const MISSING = '00000000-0000-7000-8000-000000000000';
const ROUTES: RouteCase[] = [
  { method: 'GET', route: '/api/v1/integrations', path: () => '/api/v1/integrations', min: 'viewer' },
  {
    method: 'POST',
    route: '/api/v1/integrations',
    path: () => '/api/v1/integrations',
    body: () => ({ type: 'golioth', name: `matrix ${++n}`, config: { project_id: 'p' } }),
    min: 'admin',
  },
  {
    method: 'POST',
    route: '/api/v1/integrations/test',
    path: () => '/api/v1/integrations/test',
    body: () => ({ type: 'golioth', config: { project_id: 'p' } }),
    min: 'admin',
  },
  {
    method: 'GET',
    route: '/api/v1/integrations/{id}',
    path: (i) => `/api/v1/integrations/${i.mqttA}`,
    min: 'viewer',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}`,
  },
  {
    method: 'PATCH',
    route: '/api/v1/integrations/{id}',
    path: (i) => `/api/v1/integrations/${i.mqttA}`,
    body: () => ({ config: { broker: { keep_alive: 30 } } }),
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}`,
  },
  {
    method: 'DELETE',
    route: '/api/v1/integrations/{id}',
    path: () => `/api/v1/integrations/${MISSING}`,
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.goliothB}`,
  },
  {
    method: 'POST',
    route: '/api/v1/integrations/{id}/test',
    path: (i) => `/api/v1/integrations/${i.goliothA}/test`,
    body: () => ({}),
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.goliothB}/test`,
  },
  {
    method: 'GET',
    route: '/api/v1/integrations/{id}/status',
    path: (i) => `/api/v1/integrations/${i.mqttA}/status`,
    min: 'viewer',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/status`,
  },
  {
    method: 'POST',
    route: '/api/v1/integrations/{id}/reconnect',
    path: (i) => `/api/v1/integrations/${i.mqttA}/reconnect`,
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/reconnect`,
  },
  {
    method: 'POST',
    route: '/api/v1/integrations/{id}/publish',
    path: (i) => `/api/v1/integrations/${i.mqttA}/publish`,
    body: () => ({ topic: 'a/b', payload: 'x' }),
    min: 'operator',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/publish`,
  },
  {
    method: 'GET',
    route: '/api/v1/integrations/{id}/subscriptions',
    path: (i) => `/api/v1/integrations/${i.mqttA}/subscriptions`,
    min: 'viewer',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/subscriptions`,
  },
  {
    method: 'POST',
    route: '/api/v1/integrations/{id}/subscriptions',
    path: (i) => `/api/v1/integrations/${i.mqttA}/subscriptions`,
    body: () => ({ name: `s${++n}`, topic: 'x/{device_id}', actions: [] }),
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/subscriptions`,
  },
  {
    method: 'GET',
    route: '/api/v1/integrations/{id}/subscriptions/{sub_id}',
    path: (i) => `/api/v1/integrations/${i.mqttA}/subscriptions/${i.subA}`,
    min: 'viewer',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/subscriptions/${i.subB}`,
  },
  {
    method: 'PUT',
    route: '/api/v1/integrations/{id}/subscriptions/{sub_id}',
    path: (i) => `/api/v1/integrations/${i.mqttA}/subscriptions/${i.subA}`,
    body: () => ({ description: 'matrix' }),
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/subscriptions/${i.subB}`,
  },
  {
    method: 'DELETE',
    route: '/api/v1/integrations/{id}/subscriptions/{sub_id}',
    path: (i) => `/api/v1/integrations/${i.mqttA}/subscriptions/${MISSING}`,
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.mqttB}/subscriptions/${i.subB}`,
  },
  {
    method: 'GET',
    route: '/api/v1/integrations/{id}/golioth/devices/{device_id}/state',
    path: (i) => `/api/v1/integrations/${i.goliothA}/golioth/devices/d1/state`,
    min: 'viewer',
    foreign: (i) => `/api/v1/integrations/${i.goliothB}/golioth/devices/d1/state`,
  },
  {
    method: 'PUT',
    route: '/api/v1/integrations/{id}/golioth/devices/{device_id}/state',
    path: (i) => `/api/v1/integrations/${i.goliothA}/golioth/devices/d1/state`,
    body: () => ({ value: 1 }),
    min: 'operator',
    foreign: (i) => `/api/v1/integrations/${i.goliothB}/golioth/devices/d1/state`,
  },
  {
    method: 'POST',
    route: '/api/v1/integrations/{id}/golioth/devices/{device_id}/rpc',
    path: (i) => `/api/v1/integrations/${i.goliothA}/golioth/devices/d1/rpc`,
    body: () => ({ method: 'm' }),
    min: 'operator',
    foreign: (i) => `/api/v1/integrations/${i.goliothB}/golioth/devices/d1/rpc`,
  },
  {
    method: 'POST',
    route: '/api/v1/integrations/{id}/golioth/devices/{device_id}/ota',
    path: (i) => `/api/v1/integrations/${i.goliothA}/golioth/devices/d1/ota`,
    body: () => ({ release_id: 'r' }),
    min: 'admin',
    foreign: (i) => `/api/v1/integrations/${i.goliothB}/golioth/devices/d1/ota`,
  },
  {
    method: 'GET',
    route: '/api/v1/integrations/{id}/golioth/releases',
    path: (i) => `/api/v1/integrations/${i.goliothA}/golioth/releases`,
    min: 'viewer',
    foreign: (i) => `/api/v1/integrations/${i.goliothB}/golioth/releases`,
  },
];

describe('integrations authorization: role × route × organization', () => {
  let t: TestApp;
  let ids: Ids;
  let tokens: Record<Role, string>;

  beforeAll(async () => {
    t = await startTestApp();
    const a = await createOrgWithMembers(t, 'Integrations A');
    const b = await createOrgWithMembers(t, 'Integrations B');
    tokens = a.tokens;
    const port = await freeTcpPort();
    const make = async (token: string) => {
      const mqtt = expectStatus(
        await t.api('/api/v1/integrations', {
          token,
          body: {
            type: 'mqtt',
            name: 'site broker',
            status: 'inactive',
            config: { broker: { host: '127.0.0.1', port } },
          },
        }),
        201,
      );
      const sub = expectStatus(
        await t.api(`/api/v1/integrations/${mqtt.body.id}/subscriptions`, {
          token,
          body: { name: 'all', topic: 'plant/{device_id}', actions: [{ type: 'ingest' }] },
        }),
        201,
      );
      const golioth = expectStatus(
        await t.api('/api/v1/integrations', {
          token,
          body: {
            type: 'golioth',
            name: 'golioth',
            config: { project_id: 'p', api_key: 'k', api_url: 'https://golioth.invalid' },
          },
        }),
        201,
      );
      return { mqtt: mqtt.body.id as string, sub: sub.body.id as string, golioth: golioth.body.id as string };
    };
    const ia = await make(a.tokens.owner);
    const ib = await make(b.tokens.owner);
    ids = { mqttA: ia.mqtt, subA: ia.sub, goliothA: ia.golioth, mqttB: ib.mqtt, subB: ib.sub, goliothB: ib.golioth };
  });

  afterAll(async () => {
    await t?.close();
  });

  it('covers every integrations route in the OpenAPI document (the Golioth webhook is public)', async () => {
    const spec = (await t.api('/api/v1/openapi.json')).body;
    const documented: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, { tags?: string[] }>>(spec.paths))
      for (const [method, op] of Object.entries(ops))
        if (op.tags?.includes('integrations')) documented.push(`${method.toUpperCase()} ${path}`);
    const covered = ROUTES.map((r) => `${r.method} ${r.route}`);
    expect(documented.filter((d) => !d.endsWith('/golioth/webhook')).sort()).toEqual([...covered].sort());
  });

  it('refuses every route without a token (401)', async () => {
    for (const r of ROUTES) {
      const res = await t.api(r.path(ids), { method: r.method, body: r.body?.() });
      expect(res.status, `${r.method} ${r.route}`).toBe(401);
    }
  });

  for (const role of ROLES) {
    it(`lets a ${role} do exactly what its role allows (403 below the minimum)`, async () => {
      for (const r of ROUTES) {
        const res = await t.api(r.path(ids), { method: r.method, token: tokens[role], body: r.body?.() });
        const allowed = RANK[role] >= RANK[r.min];
        const label = `${role} ${r.method} ${r.route} → ${res.status} ${res.text.slice(0, 120)}`;
        if (allowed) expect([401, 403], label).not.toContain(res.status);
        else expect(res.status, label).toBe(403);
      }
    });

    it(`answers 404 to a ${role} of one organization for every integration of another`, async () => {
      for (const r of ROUTES) {
        if (!r.foreign || RANK[role] < RANK[r.min]) continue;
        const res = await t.api(r.foreign(ids), { method: r.method, token: tokens[role], body: r.body?.() });
        expect(res.status, `${role} ${r.method} ${r.route} on org B`).toBe(404);
      }
    });
  }

  it("never lists another organization's integrations", async () => {
    const list = await t.api('/api/v1/integrations?limit=1000', { token: tokens.viewer });
    const listed = list.body.items.map((i: { id: string }) => i.id);
    expect(listed).toContain(ids.mqttA);
    expect(listed).not.toContain(ids.mqttB);
    expect(listed).not.toContain(ids.goliothB);
  });
});
