import { Type } from 'typebox';
import { principalOf } from '../auth/index.js';
import { Id, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import type { IntegrationRouteDeps } from './routes.js';
import { SubscriptionFields } from './subscription-schemas.js';
import { SubscriptionView } from './views.js';

const Params = Type.Object({ id: Id });
const SubParams = Type.Object({ id: Id, sub_id: Id });

const bodyFields = {
  name: Type.Optional(SubscriptionFields.name),
  topic: Type.Optional(SubscriptionFields.topic),
  enabled: Type.Optional(SubscriptionFields.enabled),
  description: Type.Optional(SubscriptionFields.description),
  qos: Type.Optional(SubscriptionFields.qos),
  actions: Type.Optional(SubscriptionFields.actions),
};

/** Subscriptions of an MQTT integration; every change applies on the live connection. */
export function registerSubscriptionRoutes(app: Http, deps: IntegrationRouteDeps): void {
  const s = deps.integrations.subscriptions;
  const record = (
    p: ReturnType<typeof principalOf>,
    ip: string,
    action: string,
    integrationId: string,
    subId: string,
    details: Record<string, unknown>,
  ) =>
    deps.audit.record({
      organizationId: p.organizationId,
      actor: p,
      action,
      resourceType: 'integration_subscription',
      resourceId: subId,
      details: { integration_id: integrationId, ...details },
      ip,
    });

  app.get(
    '/api/v1/integrations/:id/subscriptions',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['integrations'],
        params: Params,
        response: { 200: Type.Object({ items: Type.Array(SubscriptionView), next_cursor: Type.Null() }) },
      },
    },
    async (request) => ({
      items: await s.list(principalOf(request).organizationId, request.params.id),
      next_cursor: null,
    }),
  );

  app.post(
    '/api/v1/integrations/:id/subscriptions',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['integrations'],
        description:
          'topic: an MQTT filter, joined to topics.prefix, whose levels may hold {placeholders} (default: topics.pattern). actions: ingest, forward, republish.',
        params: Params,
        body: Strict(bodyFields),
        response: { 201: SubscriptionView },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const view = await s.create(p.organizationId, request.params.id, request.body);
      await record(p, request.ip, 'integration.subscription_created', request.params.id, view.id, {
        name: view.name,
        topic: view.topic,
      });
      return reply.status(201).send(view);
    },
  );

  app.get(
    '/api/v1/integrations/:id/subscriptions/:sub_id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['integrations'], params: SubParams, response: { 200: SubscriptionView } },
    },
    async (request) =>
      (await s.get(principalOf(request).organizationId, request.params.id, request.params.sub_id)).view,
  );

  app.put(
    '/api/v1/integrations/:id/subscriptions/:sub_id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['integrations'],
        description: 'Changes the given fields (enable/disable, topic, actions, …); applied live, no restart.',
        params: SubParams,
        body: Strict(bodyFields),
        response: { 200: SubscriptionView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const view = await s.update(p.organizationId, request.params.id, request.params.sub_id, request.body);
      await record(p, request.ip, 'integration.subscription_updated', request.params.id, view.id, {
        fields: Object.keys(request.body),
      });
      return view;
    },
  );

  app.delete(
    '/api/v1/integrations/:id/subscriptions/:sub_id',
    { config: { auth: 'admin' }, schema: { tags: ['integrations'], params: SubParams } },
    async (request, reply) => {
      const p = principalOf(request);
      const sub = await s.delete(p.organizationId, request.params.id, request.params.sub_id);
      await record(p, request.ip, 'integration.subscription_deleted', request.params.id, sub.id, { name: sub.name });
      return reply.status(204).send();
    },
  );
}
