import { Type } from 'typebox';
import type { AuditLog } from '../audit/audit-log.js';
import { Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { FieldlineError, notFound } from '../kernel/index.js';
import type { AccountService } from './accounts.js';
import { principalOf } from './guard.js';
import type { LoginLimiter } from './login-limiter.js';
import { MIN_PASSWORD_LENGTH } from './passwords.js';
import type { AuthStore } from './store.js';
import { OrganizationView, organizationView, RoleSchema } from './views.js';

export interface AuthRouteDeps {
  accounts: AccountService;
  store: AuthStore;
  audit: AuditLog;
  limiter: LoginLimiter;
}

const LoginBody = Strict({
  username: Type.String({ minLength: 1, maxLength: 200 }),
  password: Type.String({ minLength: 1, maxLength: 1000 }),
  organization_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

const TokenAnswer = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  organization_id: Type.String(),
});

/** Login, the caller's own identity, and password change. */
export function registerAuthRoutes(app: Http, deps: AuthRouteDeps): void {
  const { accounts, store, audit, limiter } = deps;

  app.post(
    '/api/v1/auth/login',
    {
      config: { auth: 'public' },
      schema: { tags: ['auth'], security: [], body: LoginBody, response: { 200: TokenAnswer } },
    },
    async (request) => {
      const { username, password, organization_id } = request.body;
      const wait = limiter.retryAfter(request.ip, username);
      if (wait > 0) {
        throw new FieldlineError('FIELDLINE_ERR_RATE_LIMITED', `Too many failed logins; try again in ${wait} s`, {
          retryAfter: wait,
        });
      }
      try {
        const result = await accounts.login(username, password, organization_id);
        limiter.recordSuccess(request.ip, username);
        await audit.record({
          organizationId: result.organizationId,
          actor: {
            kind: 'user',
            id: result.user.id,
            name: result.user.username,
            organizationId: result.organizationId,
            role: 'viewer',
            isPlatformAdmin: false,
          },
          action: 'auth.login',
          resourceType: 'user',
          resourceId: result.user.id,
          ip: request.ip,
        });
        return {
          access_token: result.token,
          token_type: 'Bearer' as const,
          expires_in: result.expiresIn,
          organization_id: result.organizationId,
        };
      } catch (err) {
        if (err instanceof FieldlineError && err.code === 'FIELDLINE_ERR_INVALID_CREDENTIALS') {
          limiter.recordFailure(request.ip, username);
          const known = await store.userByUsername(username);
          const orgId = known ? ((await store.membershipsOf(known.id))[0]?.organization_id ?? null) : null;
          await audit.record({
            organizationId: orgId,
            actor: { kind: 'anonymous', id: known?.id ?? null, name: username },
            action: 'auth.login_failed',
            resourceType: 'user',
            resourceId: known?.id ?? null,
            ip: request.ip,
          });
        }
        throw err;
      }
    },
  );

  app.get(
    '/api/v1/me',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['auth'],
        response: {
          200: Type.Object({
            kind: Type.Union([Type.Literal('user'), Type.Literal('api_key')]),
            id: Type.String(),
            name: Type.String(),
            role: RoleSchema,
            is_platform_admin: Type.Boolean(),
            email: Type.Union([Type.String(), Type.Null()]),
            display_name: Type.Union([Type.String(), Type.Null()]),
            organization: OrganizationView,
            memberships: Type.Array(
              Type.Object({ organization_id: Type.String(), name: Type.String(), role: RoleSchema }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const org = await store.organizationById(p.organizationId);
      if (!org) throw notFound('organization', p.organizationId);
      const user = p.kind === 'user' ? await store.userById(p.id) : undefined;
      return {
        kind: p.kind,
        id: p.id,
        name: p.name,
        role: p.role,
        is_platform_admin: p.isPlatformAdmin,
        email: user?.email ?? null,
        display_name: user?.display_name ?? null,
        organization: organizationView(org),
        memberships: p.kind === 'user' ? await store.membershipsOf(p.id) : [],
      };
    },
  );

  app.put(
    '/api/v1/me/password',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['auth'],
        body: Strict({
          current_password: Type.String({ minLength: 1, maxLength: 1000 }),
          new_password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1000 }),
        }),
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      if (p.kind !== 'user') throw new FieldlineError('FIELDLINE_ERR_FORBIDDEN', 'API keys have no password');
      await accounts.changePassword(p.id, request.body.current_password, request.body.new_password);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'user.password_changed',
        resourceType: 'user',
        resourceId: p.id,
        ip: request.ip,
      });
      return reply.status(204).send();
    },
  );
}
