import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/index.js';
import { Keyring, resolveSecretKey } from '../../src/secrets/index.js';
import { ADMIN_PASSWORD, createOrgWithMembers, startTestApp, type TestApp } from '../helpers/app.js';

/** Login, tokens, API keys, members, organizations, audit and HTTP error handling, as users rely on them. */
export function foundationApiSuite(dialect: string) {
  describe(`foundation API (${dialect})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    describe('login', () => {
      it('answers a bearer token that works on /me', async () => {
        const login = await t.api('/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
        expect(login.status).toBe(200);
        expect(login.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
        const me = await t.api('/api/v1/me', { token: login.body.access_token });
        expect(me.status).toBe(200);
        expect(me.body).toMatchObject({ kind: 'user', name: 'admin', role: 'owner', is_platform_admin: true });
        expect(me.body.organization.slug).toBe('default');
      });

      it('refuses a wrong password and an unknown user alike, as problem+json', async () => {
        for (const body of [
          { username: 'admin', password: 'wrong-password' },
          { username: 'nobody-here', password: 'whatever1' },
        ]) {
          const r = await t.api('/api/v1/auth/login', { body, headers: { 'x-forwarded-for': 'ignored' } });
          expect(r.status).toBe(401);
          expect(r.headers.get('content-type')).toContain('application/problem+json');
          expect(r.body).toMatchObject({ status: 401, code: 'FIELDLINE_ERR_INVALID_CREDENTIALS' });
        }
      });

      it('rate-limits repeated failures with 429 and Retry-After, and audits them', async () => {
        const username = 'victim-of-guessing';
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          statuses.push((await t.api('/api/v1/auth/login', { body: { username, password: `guess-${i}-xx` } })).status);
        }
        expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
        const limited = await t.api('/api/v1/auth/login', { body: { username, password: 'guess-final' } });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(limited.body.code).toBe('FIELDLINE_ERR_RATE_LIMITED');
      });

      it('records logins and failed logins in the audit log', async () => {
        await t.api('/api/v1/auth/login', { body: { username: 'admin', password: 'not-the-password' } });
        const audit = await t.api('/api/v1/audit?action=auth.login_failed', { token: t.adminToken });
        expect(audit.status).toBe(200);
        expect(audit.body.items[0]).toMatchObject({
          action: 'auth.login_failed',
          actor_name: 'admin',
          resource_type: 'user',
        });
        const ok = await t.api('/api/v1/audit?action=auth.login', { token: t.adminToken });
        expect(ok.body.items.length).toBeGreaterThan(0);
      });
    });

    describe('tokens', () => {
      it('refuses no token, a malformed header and a forged token with 401', async () => {
        expect((await t.api('/api/v1/me')).status).toBe(401);
        expect((await t.api('/api/v1/me', { headers: { authorization: 'Basic YWRtaW46eA==' } })).status).toBe(401);
        const forged = new TokenService(Buffer.alloc(32, 1), 3600).issue('x', 'y', 1).token;
        const r = await t.api('/api/v1/me', { token: forged });
        expect(r.status).toBe(401);
        expect(r.body.code).toBe('FIELDLINE_ERR_UNAUTHENTICATED');
      });

      it('refuses an expired token with its own code', async () => {
        const me = await t.api('/api/v1/me', { token: t.adminToken });
        const keyring = new Keyring(resolveSecretKey(null, t.dataDir).secret);
        const expired = new TokenService(keyring.derive('jwt'), 60, () => Date.now() - 3 * 3600_000).issue(
          me.body.id,
          me.body.organization.id,
          0,
        );
        const r = await t.api('/api/v1/me', { token: expired.token });
        expect(r.status).toBe(401);
        expect(r.body.code).toBe('FIELDLINE_ERR_TOKEN_EXPIRED');
      });

      it('logs every session out when the password changes', async () => {
        const { tokens } = await createOrgWithMembers(t, 'Password Plant');
        const before = tokens.viewer;
        const me = await t.api('/api/v1/me', { token: before });
        const changed = await t.api('/api/v1/me/password', {
          method: 'PUT',
          token: before,
          body: { current_password: `${me.body.name}-password`, new_password: 'a-brand-new-password' },
        });
        expect(changed.status).toBe(204);
        expect((await t.api('/api/v1/me', { token: before })).status).toBe(401);
        const again = await t.api('/api/v1/auth/login', {
          body: { username: me.body.name, password: 'a-brand-new-password' },
        });
        expect(again.status).toBe(200);
      });
    });

    describe('API keys', () => {
      it('are shown once, work as bearer, keep their role, and stop working when revoked', async () => {
        const created = await t.api('/api/v1/api-keys', {
          token: t.adminToken,
          body: { name: 'scada bridge', role: 'viewer' },
        });
        expect(created.status).toBe(201);
        expect(created.body.key).toMatch(/^flk_/);
        const list = await t.api('/api/v1/api-keys', { token: t.adminToken });
        expect(JSON.stringify(list.body)).not.toContain(created.body.key);
        expect(list.body.items.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({
          name: 'scada bridge',
          role: 'viewer',
        });

        const me = await t.api('/api/v1/me', { token: created.body.key });
        expect(me.body).toMatchObject({ kind: 'api_key', name: 'scada bridge', role: 'viewer' });
        const write = await t.api('/api/v1/api-keys', { token: created.body.key, body: { name: 'escalate' } });
        expect(write.status).toBe(403);

        expect(
          (await t.api(`/api/v1/api-keys/${created.body.id}`, { method: 'DELETE', token: t.adminToken })).status,
        ).toBe(204);
        expect((await t.api('/api/v1/me', { token: created.body.key })).status).toBe(401);
      });

      it('cannot be minted with a stronger role than the creator has', async () => {
        const { tokens } = await createOrgWithMembers(t, 'Key Plant');
        const r = await t.api('/api/v1/api-keys', { token: tokens.admin, body: { name: 'too strong', role: 'owner' } });
        expect(r.status).toBe(403);
      });
    });

    describe('members and roles', () => {
      it('creates a member with a generated password shown once, and invites an existing user into another organization', async () => {
        const created = await t.api('/api/v1/users', {
          token: t.adminToken,
          body: { username: 'shift-lead', role: 'operator', email: 'lead@plant.example' },
        });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({ username: 'shift-lead', role: 'operator', invited: false });
        expect(created.body.initial_password).toHaveLength(24);
        const login = await t.api('/api/v1/auth/login', {
          body: { username: 'shift-lead', password: created.body.initial_password },
        });
        expect(login.status).toBe(200);

        const { tokens } = await createOrgWithMembers(t, 'Invite Plant');
        const invited = await t.api('/api/v1/users', {
          token: tokens.admin,
          body: { username: 'shift-lead', role: 'viewer' },
        });
        expect(invited.status).toBe(201);
        expect(invited.body).toMatchObject({ invited: true, initial_password: null, role: 'viewer' });
        const again = await t.api('/api/v1/users', {
          token: tokens.admin,
          body: { username: 'shift-lead', role: 'viewer' },
        });
        expect(again.status).toBe(409);
      });

      it('keeps owner decisions to owners and always one owner', async () => {
        const { tokens } = await createOrgWithMembers(t, 'Owner Plant');
        const users = await t.api('/api/v1/users', { token: tokens.owner });
        const byRole = (role: string) =>
          users.body.items.find(
            (u: { role: string; username: string }) => u.role === role && !u.username.startsWith('admin'),
          );
        const viewer = byRole('viewer');
        expect(
          (await t.api(`/api/v1/users/${viewer.id}`, { method: 'PATCH', token: tokens.admin, body: { role: 'owner' } }))
            .status,
        ).toBe(403);
        expect(
          (
            await t.api(`/api/v1/users/${viewer.id}`, {
              method: 'PATCH',
              token: tokens.admin,
              body: { role: 'operator' },
            })
          ).body.role,
        ).toBe('operator');
        // The platform admin who created the org is an owner too: removing it leaves one owner, who must stay.
        const me = await t.api('/api/v1/me', { token: tokens.owner });
        const platformAdmin = users.body.items.find((u: { username: string }) => u.username === 'admin');
        expect(
          (await t.api(`/api/v1/users/${platformAdmin.id}`, { method: 'DELETE', token: tokens.owner })).status,
        ).toBe(204);
        const last = await t.api(`/api/v1/users/${me.body.id}`, {
          method: 'PATCH',
          token: tokens.owner,
          body: { role: 'admin' },
        });
        expect(last.status).toBe(409);
        expect((await t.api(`/api/v1/users/${me.body.id}`, { method: 'DELETE', token: tokens.owner })).status).toBe(
          409,
        );
      });

      it('takes a removed member out at once: their token stops working', async () => {
        const { tokens } = await createOrgWithMembers(t, 'Removal Plant');
        const me = await t.api('/api/v1/me', { token: tokens.operator });
        expect((await t.api(`/api/v1/users/${me.body.id}`, { method: 'DELETE', token: tokens.admin })).status).toBe(
          204,
        );
        expect((await t.api('/api/v1/me', { token: tokens.operator })).status).toBe(401);
        const audit = await t.api('/api/v1/audit?action=user.removed', { token: tokens.admin });
        expect(audit.body.items[0]).toMatchObject({ action: 'user.removed', resource_id: me.body.id });
      });
    });

    describe('organizations', () => {
      it('are created by platform administrators and listed to their members only', async () => {
        const { orgId, tokens } = await createOrgWithMembers(t, 'Listing Plant');
        const mine = await t.api('/api/v1/organizations', { token: tokens.viewer });
        expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([orgId]);
        const all = await t.api('/api/v1/organizations', { token: t.adminToken });
        expect(all.body.items.length).toBeGreaterThan(1);
        expect(
          (await t.api('/api/v1/organizations', { token: tokens.owner, body: { name: 'Not allowed' } })).status,
        ).toBe(403);
        const renamed = await t.api(`/api/v1/organizations/${orgId}`, {
          method: 'PATCH',
          token: tokens.admin,
          body: { name: 'Listing Plant North', settings: { retention_days: 90 } },
        });
        expect(renamed.body).toMatchObject({ name: 'Listing Plant North', settings: { retention_days: 90 } });
      });

      it('pages lists with a cursor', async () => {
        for (let i = 0; i < 3; i++)
          await t.api('/api/v1/organizations', { token: t.adminToken, body: { name: `Paged ${i}` } });
        const first = await t.api('/api/v1/organizations?limit=2', { token: t.adminToken });
        expect(first.body.items).toHaveLength(2);
        expect(first.body.next_cursor).toEqual(expect.any(String));
        const second = await t.api(`/api/v1/organizations?limit=2&cursor=${first.body.next_cursor}`, {
          token: t.adminToken,
        });
        expect(second.body.items[0].id > first.body.items[1].id).toBe(true);
        expect((await t.api('/api/v1/organizations?cursor=%%%', { token: t.adminToken })).status).toBe(400);
      });
    });

    describe('bad input', () => {
      it('answers malformed JSON with a 400 problem', async () => {
        const r = await t.api('/api/v1/auth/login', { rawBody: '{"username": "admin", "password": ' });
        expect(r.status).toBe(400);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.body).toMatchObject({
          code: 'FIELDLINE_ERR_MALFORMED_JSON',
          status: 400,
          instance: '/api/v1/auth/login',
        });
      });

      it('answers a body over the limit with 413', async () => {
        const r = await t.api('/api/v1/auth/login', {
          rawBody: JSON.stringify({ username: 'a', password: 'x'.repeat(1_100_000) }),
        });
        expect(r.status).toBe(413);
        expect(r.body.code).toBe('FIELDLINE_ERR_PAYLOAD_TOO_LARGE');
      });

      it('refuses unknown fields and wrong types, naming each field', async () => {
        const unknown = await t.api('/api/v1/users', {
          token: t.adminToken,
          body: { username: 'new-person', role: 'viewer', is_admin: true },
        });
        expect(unknown.status).toBe(400);
        expect(unknown.body.errors).toContainEqual({ field: 'is_admin', message: 'is not a known field' });
        const wrong = await t.api('/api/v1/api-keys', {
          token: t.adminToken,
          body: { name: 'k', expires_in_days: '30' },
        });
        expect(wrong.status).toBe(400);
        expect(wrong.body.errors[0].field).toBe('expires_in_days');
        const missing = await t.api('/api/v1/users', { token: t.adminToken, body: { role: 'viewer' } });
        expect(missing.body.errors).toContainEqual({ field: 'username', message: 'is required' });
      });

      it('answers an unknown route with a 404 problem', async () => {
        const r = await t.api('/api/v1/no-such-thing', { token: t.adminToken });
        expect(r.status).toBe(404);
        expect(r.body.code).toBe('FIELDLINE_ERR_NOT_FOUND');
      });
    });

    describe('HTTP surface', () => {
      it('sends the security headers of a JSON answer and no-store on API answers, the full set on pages', async () => {
        const r = await t.api('/api/v1/me', { token: t.adminToken });
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(r.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
        expect(r.headers.get('x-frame-options')).toBe('DENY');
        expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(r.headers.get('referrer-policy')).toBe('no-referrer');
        expect(r.headers.get('cache-control')).toBe('no-store');
        // An error answer is an API answer too.
        const missing = await t.api('/api/v1/no-such-thing', { token: t.adminToken });
        expect(missing.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
        // The docs UI is a page: the CSP that lets it load its own scripts and styles.
        const docs = await fetch(`${t.url}/api/v1/docs/static/index.html`);
        expect(docs.headers.get('content-security-policy')).toContain("default-src 'self'");
        expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
      });

      it('serves health, OpenAPI and the docs UI', async () => {
        const health = await t.api('/health');
        expect(health.status).toBe(200);
        expect(health.body).toMatchObject({
          status: 'ok',
          version: expect.any(String),
          database: { status: 'up', dialect },
        });
        expect(Date.parse(health.body.timestamp)).not.toBeNaN();
        const openapi = await t.api('/api/v1/openapi.json');
        expect(openapi.body.openapi).toBe('3.1.0');
        expect(Object.keys(openapi.body.paths)).toEqual(
          expect.arrayContaining(['/api/v1/auth/login', '/api/v1/users', '/api/v1/audit']),
        );
        const docs = await fetch(`${t.url}/api/v1/docs/`);
        expect(docs.status).toBe(200);
        expect(await docs.text()).toContain('swagger');
      });
    });
  });
}
