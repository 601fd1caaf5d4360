import { Type } from 'typebox';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { forbidden, notFound } from '../kernel/index.js';
import { principalOf } from './guard.js';
import type { Principal } from './principal.js';
import { roleAtLeast } from './roles.js';
import type { AuthRouteDeps } from './routes.js';
import { OrganizationView, organizationView } from './views.js';

const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,47}$' });
const Settings = Type.Object(
  {
    retention_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** Organizations: created and deleted by platform administrators, read and edited by their members. */
export function registerOrganizationRoutes(app: Http, deps: AuthRouteDeps): void {
  const { accounts, store, audit } = deps;

  /** A member sees their own organizations; another organization answers 404 so ids leak nothing. */
  const visible = async (p: Principal, id: string) => {
    const org = await store.organizationById(id);
    if (!org) throw notFound('organization', id);
    if (p.isPlatformAdmin || id === p.organizationId) return org;
    if (p.kind === 'user' && (await store.membership(p.id, id))) return org;
    throw notFound('organization', id);
  };

  app.get(
    '/api/v1/organizations',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['organizations'],
        querystring: Type.Object(PageQuery),
        response: { 200: Page(OrganizationView) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const limit = request.query.limit ?? 100;
      const after = decodeCursor(request.query.cursor);
      if (p.kind === 'api_key') {
        const own = await visible(p, p.organizationId);
        return { items: after ? [] : [organizationView(own)], next_cursor: null };
      }
      const rows = await store.listOrganizations({
        ...(p.isPlatformAdmin ? {} : { userId: p.id }),
        ...(after ? { after } : {}),
        limit: limit + 1,
      });
      return page(rows, limit, (r) => r.id, organizationView);
    },
  );

  app.post(
    '/api/v1/organizations',
    {
      config: { auth: 'platform_admin' },
      schema: {
        tags: ['organizations'],
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          slug: Type.Optional(Slug),
          owner_username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
        response: { 201: OrganizationView },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const ownerName = request.body.owner_username;
      const owner = ownerName === undefined ? await store.userById(p.id) : await store.userByUsername(ownerName);
      if (!owner) throw notFound('user', ownerName ?? p.id);
      const org = await accounts.createOrganization(request.body.name, request.body.slug, owner);
      await audit.record({
        organizationId: org.id,
        actor: p,
        action: 'organization.created',
        resourceType: 'organization',
        resourceId: org.id,
        details: { name: org.name, owner: owner.username },
        ip: request.ip,
      });
      return reply.status(201).send(organizationView(org));
    },
  );

  app.get(
    '/api/v1/organizations/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['organizations'], params: IdParams, response: { 200: OrganizationView } },
    },
    async (request) => organizationView(await visible(principalOf(request), request.params.id)),
  );

  app.patch(
    '/api/v1/organizations/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['organizations'],
        params: IdParams,
        body: Strict({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          settings: Type.Optional(Settings),
        }),
        response: { 200: OrganizationView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const org = await visible(p, request.params.id);
      // The role in the token is the role in the token's organization; editing another one needs a membership there.
      if (org.id !== p.organizationId && !p.isPlatformAdmin) {
        const role = p.kind === 'user' ? await store.membership(p.id, org.id) : undefined;
        if (!role || !roleAtLeast(role, 'admin'))
          throw forbidden('Editing this organization needs the admin role in it');
      }
      const settings = { ...(JSON.parse(org.settings) as object), ...(request.body.settings ?? {}) };
      const patch = {
        ...(request.body.name === undefined ? {} : { name: request.body.name }),
        settings: JSON.stringify(settings),
        updated_at: Date.now(),
      };
      await store.updateOrganization(org.id, patch);
      await audit.record({
        organizationId: org.id,
        actor: p,
        action: 'organization.updated',
        resourceType: 'organization',
        resourceId: org.id,
        details: { ...request.body },
        ip: request.ip,
      });
      return organizationView({ ...org, ...patch });
    },
  );

  app.delete(
    '/api/v1/organizations/:id',
    { config: { auth: 'platform_admin' }, schema: { tags: ['organizations'], params: IdParams } },
    async (request, reply) => {
      const p = principalOf(request);
      const org = await visible(p, request.params.id);
      await store.deleteOrganization(org.id);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'organization.deleted',
        resourceType: 'organization',
        resourceId: org.id,
        details: { name: org.name },
        ip: request.ip,
      });
      return reply.status(204).send();
    },
  );
}
