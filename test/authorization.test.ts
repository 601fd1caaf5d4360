import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';

type Role = 'owner' | 'admin' | 'operator' | 'viewer';
const ROLES: Role[] = ['owner', 'admin', 'operator', 'viewer'];
const RANK: Record<Role, number> = { owner: 4, admin: 3, operator: 2, viewer: 1 };

interface Ids {
  orgA: string;
  orgB: string;
  userInA: string;
  userInB: string;
  keyInA: string;
  keyInB: string;
}

interface RouteCase {
  method: string;
  /** OpenAPI path, to check the matrix covers every route. */
  route: string;
  path: (ids: Ids) => string;
  body?: (ids: Ids, n: number) => unknown;
  min: Role | 'platform_admin';
  /** A path naming another organization's resource: must answer 404 to every role of org A. */
  foreign?: (ids: Ids) => string;
}

let counter = 0;
const ROUTES: RouteCase[] = [
  { method: 'GET', route: '/api/v1/me', path: () => '/api/v1/me', min: 'viewer' },
  {
    method: 'PUT',
    route: '/api/v1/me/password',
    path: () => '/api/v1/me/password',
    body: () => ({ current_password: 'wrong-one', new_password: 'another-pass' }),
    min: 'viewer',
  },
  { method: 'GET', route: '/api/v1/users', path: () => '/api/v1/users', min: 'admin' },
  {
    method: 'POST',
    route: '/api/v1/users',
    path: () => '/api/v1/users',
    body: () => ({ username: `matrix-${++counter}`, role: 'viewer' }),
    min: 'admin',
  },
  {
    method: 'GET',
    route: '/api/v1/users/{id}',
    path: (i) => `/api/v1/users/${i.userInA}`,
    min: 'admin',
    foreign: (i) => `/api/v1/users/${i.userInB}`,
  },
  {
    method: 'PATCH',
    route: '/api/v1/users/{id}',
    path: (i) => `/api/v1/users/${i.userInA}`,
    body: () => ({ display_name: 'Matrix' }),
    min: 'admin',
    foreign: (i) => `/api/v1/users/${i.userInB}`,
  },
  {
    method: 'DELETE',
    route: '/api/v1/users/{id}',
    path: () => '/api/v1/users/00000000-0000-7000-8000-000000000000',
    min: 'admin',
    foreign: (i) => `/api/v1/users/${i.userInB}`,
  },
  { method: 'GET', route: '/api/v1/organizations', path: () => '/api/v1/organizations', min: 'viewer' },
  {
    method: 'POST',
    route: '/api/v1/organizations',
    path: () => '/api/v1/organizations',
    body: () => ({ name: `Matrix Org ${++counter}` }),
    min: 'platform_admin',
  },
  {
    method: 'GET',
    route: '/api/v1/organizations/{id}',
    path: (i) => `/api/v1/organizations/${i.orgA}`,
    min: 'viewer',
    foreign: (i) => `/api/v1/organizations/${i.orgB}`,
  },
  {
    method: 'PATCH',
    route: '/api/v1/organizations/{id}',
    path: (i) => `/api/v1/organizations/${i.orgA}`,
    body: () => ({ settings: { retention_days: 30 } }),
    min: 'admin',
    foreign: (i) => `/api/v1/organizations/${i.orgB}`,
  },
  {
    method: 'DELETE',
    route: '/api/v1/organizations/{id}',
    path: () => '/api/v1/organizations/00000000-0000-7000-8000-000000000000',
    min: 'platform_admin',
    foreign: (i) => `/api/v1/organizations/${i.orgB}`,
  },
  { method: 'GET', route: '/api/v1/api-keys', path: () => '/api/v1/api-keys', min: 'admin' },
  {
    method: 'POST',
    route: '/api/v1/api-keys',
    path: () => '/api/v1/api-keys',
    body: () => ({ name: 'matrix', role: 'viewer' }),
    min: 'admin',
  },
  {
    method: 'DELETE',
    route: '/api/v1/api-keys/{id}',
    path: () => '/api/v1/api-keys/00000000-0000-7000-8000-000000000000',
    min: 'admin',
    foreign: (i) => `/api/v1/api-keys/${i.keyInB}`,
  },
  { method: 'GET', route: '/api/v1/audit', path: () => '/api/v1/audit', min: 'admin' },
];

const FOUNDATION_TAGS = new Set(['auth', 'users', 'organizations', 'api-keys', 'audit']);

describe('authorization matrix: role × route × organization', () => {
  let t: TestApp;
  let ids: Ids;
  let tokens: Record<Role, string>;

  beforeAll(async () => {
    t = await startTestApp();
    const a = await createOrgWithMembers(t, 'Matrix A');
    const b = await createOrgWithMembers(t, 'Matrix B');
    tokens = a.tokens;
    const usersA = await t.api('/api/v1/users', { token: a.tokens.owner });
    const usersB = await t.api('/api/v1/users', { token: b.tokens.owner });
    const keyA = await t.api('/api/v1/api-keys', { token: a.tokens.owner, body: { name: 'a', role: 'viewer' } });
    const keyB = await t.api('/api/v1/api-keys', { token: b.tokens.owner, body: { name: 'b', role: 'viewer' } });
    const viewerOf = (items: { username: string; id: string }[]) =>
      items.find((u) => u.username.endsWith('-viewer'))?.id ?? '';
    ids = {
      orgA: a.orgId,
      orgB: b.orgId,
      userInA: viewerOf(usersA.body.items),
      userInB: viewerOf(usersB.body.items),
      keyInA: keyA.body.id,
      keyInB: keyB.body.id,
    };
  });
  afterAll(async () => {
    await t.close();
  });

  it('covers every foundation route in the OpenAPI document', async () => {
    const spec = (await t.api('/api/v1/openapi.json')).body;
    const documented: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, { tags?: string[] }>>(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.tags?.some((tag) => FOUNDATION_TAGS.has(tag))) documented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    const covered = ROUTES.map((r) => `${r.method} ${r.route}`);
    expect(documented.filter((d) => !d.endsWith('/api/v1/auth/login')).sort()).toEqual([...covered].sort());
  });

  it('refuses every non-public route without a token (401)', async () => {
    for (const r of ROUTES) {
      const res = await t.api(r.path(ids), { method: r.method, body: r.body?.(ids, 0) });
      expect(res.status, `${r.method} ${r.route}`).toBe(401);
    }
  });

  for (const role of ROLES) {
    it(`lets a ${role} do exactly what its role allows (403 below the minimum)`, async () => {
      for (const r of ROUTES) {
        const res = await t.api(r.path(ids), { method: r.method, token: tokens[role], body: r.body?.(ids, 0) });
        const allowed = r.min !== 'platform_admin' && RANK[role] >= RANK[r.min];
        const label = `${role} ${r.method} ${r.route} → ${res.status} ${res.text.slice(0, 120)}`;
        if (allowed) expect([401, 403], label).not.toContain(res.status);
        else expect(res.status, label).toBe(403);
      }
    });

    it(`answers 404 to a ${role} of one organization for every resource of another`, async () => {
      for (const r of ROUTES) {
        if (!r.foreign) continue;
        const allowed = r.min !== 'platform_admin' && RANK[role] >= RANK[r.min];
        if (!allowed) continue; // below the route's role it is 403 before any lookup, as the test above shows
        const res = await t.api(r.foreign(ids), { method: r.method, token: tokens[role], body: r.body?.(ids, 0) });
        expect(res.status, `${role} ${r.method} ${r.route} on org B`).toBe(404);
      }
    });
  }

  it('never lists another organization in /users, /api-keys or /audit', async () => {
    const users = await t.api('/api/v1/users', { token: tokens.owner });
    expect(users.body.items.map((u: { id: string }) => u.id)).not.toContain(ids.userInB);
    const keys = await t.api('/api/v1/api-keys', { token: tokens.owner });
    expect(keys.body.items.map((k: { id: string }) => k.id)).not.toContain(ids.keyInB);
    const audit = await t.api('/api/v1/audit?limit=1000', { token: tokens.owner });
    expect(audit.body.items.every((e: { organization_id: string }) => e.organization_id === ids.orgA)).toBe(true);
  });

  it('does not let an API key of organization A act in organization B', async () => {
    const key = await t.api('/api/v1/api-keys', { token: tokens.owner, body: { name: 'cross', role: 'admin' } });
    const r = await t.api(`/api/v1/organizations/${ids.orgB}`, { token: key.body.key });
    expect(r.status).toBe(404);
  });
});
