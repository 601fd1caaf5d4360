import { Type } from 'typebox';
import { IdParams, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { notFound } from '../kernel/index.js';
import { principalOf } from './guard.js';
import type { AuthRouteDeps } from './routes.js';
import { ApiKeyView, apiKeyView, RoleSchema } from './views.js';

/** Organization-scoped API keys for machine clients; the key is shown once, at creation. */
export function registerApiKeyRoutes(app: Http, deps: AuthRouteDeps): void {
  const { accounts, store, audit } = deps;

  app.get(
    '/api/v1/api-keys',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['api-keys'],
        response: { 200: Type.Object({ items: Type.Array(ApiKeyView), next_cursor: Type.Null() }) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return { items: (await store.apiKeys(p.organizationId)).map(apiKeyView), next_cursor: null };
    },
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['api-keys'],
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          role: Type.Optional(RoleSchema),
          expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
        }),
        response: { 201: Type.Intersect([ApiKeyView, Type.Object({ key: Type.String() })]) },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const days = request.body.expires_in_days;
      const expiresAt = days === undefined ? null : Date.now() + days * 86_400_000;
      const { row, key } = await accounts.createApiKey(
        p,
        request.body.name,
        request.body.role ?? 'operator',
        expiresAt,
      );
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'api_key.created',
        resourceType: 'api_key',
        resourceId: row.id,
        details: { name: row.name, role: row.role },
        ip: request.ip,
      });
      return reply.status(201).send({ ...apiKeyView(row), key });
    },
  );

  app.delete(
    '/api/v1/api-keys/:id',
    { config: { auth: 'admin' }, schema: { tags: ['api-keys'], params: IdParams } },
    async (request, reply) => {
      const p = principalOf(request);
      if (!(await store.revokeApiKey(p.organizationId, request.params.id, Date.now()))) {
        throw notFound('API key', request.params.id);
      }
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'api_key.revoked',
        resourceType: 'api_key',
        resourceId: request.params.id,
        ip: request.ip,
      });
      return reply.status(204).send();
    },
  );
}
