import { Type } from 'typebox';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { notFound } from '../kernel/index.js';
import { principalOf } from './guard.js';
import { MIN_PASSWORD_LENGTH } from './passwords.js';
import type { AuthRouteDeps } from './routes.js';
import { MemberView, memberView, RoleSchema } from './views.js';

const Username = Type.String({
  pattern: '^[A-Za-z0-9._@-]{3,64}$',
  description: '3 to 64 letters, digits, . _ @ or -',
});
const Email = Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]);
const DisplayName = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);

/** Members of the caller's organization: list, create or invite, change role or profile, remove. */
export function registerUserRoutes(app: Http, deps: AuthRouteDeps): void {
  const { accounts, store, audit } = deps;

  app.get(
    '/api/v1/users',
    {
      config: { auth: 'admin' },
      schema: { tags: ['users'], querystring: Type.Object(PageQuery), response: { 200: Page(MemberView) } },
    },
    async (request) => {
      const p = principalOf(request);
      const limit = request.query.limit ?? 100;
      const rows = await store.members(p.organizationId, decodeCursor(request.query.cursor), limit + 1);
      return page(rows, limit, (r) => r.id, memberView);
    },
  );

  app.post(
    '/api/v1/users',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['users'],
        body: Strict({
          username: Username,
          email: Type.Optional(Email),
          display_name: Type.Optional(DisplayName),
          password: Type.Optional(Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1000 })),
          role: RoleSchema,
        }),
        response: {
          201: Type.Intersect([
            MemberView,
            Type.Object({ invited: Type.Boolean(), initial_password: Type.Union([Type.String(), Type.Null()]) }),
          ]),
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { member, initialPassword, invited } = await accounts.addMember(p, request.body);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: invited ? 'user.invited' : 'user.created',
        resourceType: 'user',
        resourceId: member.id,
        details: { username: member.username, role: member.role },
        ip: request.ip,
      });
      return reply.status(201).send({ ...memberView(member), invited, initial_password: initialPassword });
    },
  );

  app.get(
    '/api/v1/users/:id',
    { config: { auth: 'admin' }, schema: { tags: ['users'], params: IdParams, response: { 200: MemberView } } },
    async (request) => {
      const p = principalOf(request);
      const member = await store.member(p.organizationId, request.params.id);
      if (!member) throw notFound('user', request.params.id);
      return memberView(member);
    },
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['users'],
        params: IdParams,
        body: Strict({
          role: Type.Optional(RoleSchema),
          email: Type.Optional(Email),
          display_name: Type.Optional(DisplayName),
        }),
        response: { 200: MemberView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { role, ...profile } = request.body;
      let member = role === undefined ? undefined : await accounts.changeRole(p, request.params.id, role);
      if (Object.keys(profile).length > 0) member = await accounts.updateProfile(p, request.params.id, profile);
      member ??= await accounts.updateProfile(p, request.params.id, {});
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'user.updated',
        resourceType: 'user',
        resourceId: member.id,
        details: { ...request.body },
        ip: request.ip,
      });
      return memberView(member);
    },
  );

  app.delete(
    '/api/v1/users/:id',
    { config: { auth: 'admin' }, schema: { tags: ['users'], params: IdParams } },
    async (request, reply) => {
      const p = principalOf(request);
      const member = await accounts.removeMember(p, request.params.id);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'user.removed',
        resourceType: 'user',
        resourceId: member.id,
        details: { username: member.username },
        ip: request.ip,
      });
      return reply.status(204).send();
    },
  );
}
