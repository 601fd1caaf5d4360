import { Type } from 'typebox';
import type { AuditLog } from '../audit/index.js';
import { type Principal, principalOf } from '../auth/index.js';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { FieldlineError, invalid, newId } from '../kernel/index.js';
import { registerGoliothRoutes } from './golioth/routes.js';
import type { IntegrationsModule } from './module.js';
import { testMqttConnection } from './mqtt/connection-test.js';
import { topicNameProblem } from './mqtt/topic-filter.js';
import { registerSubscriptionRoutes } from './subscription-routes.js';
import {
  type GoliothIntegrationConfig,
  INTEGRATION_STATUSES,
  INTEGRATION_TYPES,
  type IntegrationType,
  type MqttIntegrationConfig,
} from './types.js';
import { ConnectionStatusView, connectionStatusView, IntegrationView } from './views.js';

export interface IntegrationRouteDeps {
  integrations: IntegrationsModule;
  audit: AuditLog;
}

const TypeSchema = Type.Union(INTEGRATION_TYPES.map((t) => Type.Literal(t)));
const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
const Config = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'mqtt: {broker: {url | host, port, use_tls, verify_cert, username, password, client_id, keep_alive, clean_session, protocol_version, ca_cert, client_cert, client_key}, topics: {prefix, pattern, use_shared, shared_group, qos}}; webhook: {url, method, headers, auth, payload_template}; golioth: {project_id, api_key, api_url, webhook_secret, device_id_prefix, create_devices}. Secrets answer "***"; sending "***" back keeps the stored value.',
});

export const TestResultView = Type.Object({
  status: Type.Union([Type.Literal('success'), Type.Literal('error')]),
  connected: Type.Boolean(),
  message: Type.String(),
  details: Type.Union([Type.String(), Type.Null()]),
  error_kind: Type.Union([Type.String(), Type.Null()]),
  connack_code: Type.Union([Type.Integer(), Type.Null()]),
  broker: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  session_present: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  status_code: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  devices: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  duration_ms: Type.Number(),
});

/** Integrations over HTTP: CRUD, connection tests, live status, reconnect, publish; subscriptions; Golioth. */
export function registerIntegrationRoutes(app: Http, deps: IntegrationRouteDeps): void {
  const { integrations: m, audit } = deps;
  const record = (p: Principal, ip: string, action: string, id: string, details: Record<string, unknown>) =>
    audit.record({
      organizationId: p.organizationId,
      actor: p,
      action,
      resourceType: 'integration',
      resourceId: id,
      details,
      ip,
    });

  /** Connects/calls once with the settings and says what happened. */
  async function runTest(p: Principal, type: IntegrationType, config: Record<string, unknown>, id: string | null) {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    switch (type) {
      case 'mqtt': {
        const clientId = `fieldline-test-${(id ?? newId()).replace(/-/g, '').slice(-8)}-${Math.random().toString(36).slice(2, 8)}`;
        return testMqttConnection(config as unknown as MqttIntegrationConfig, clientId);
      }
      case 'webhook': {
        const result = await m.testWebhook(p, config);
        return {
          status: result.ok ? ('success' as const) : ('error' as const),
          connected: result.ok,
          message: result.ok ? `Delivered: ${result.detail ?? 'OK'}` : `Not delivered: ${result.error ?? 'failed'}`,
          details: result.ok ? null : result.error,
          error_kind: result.ok ? null : 'http',
          connack_code: null,
          status_code: result.status_code,
          duration_ms: result.duration_ms,
        };
      }
      case 'golioth': {
        const r = await m.golioth.test(config as unknown as GoliothIntegrationConfig);
        return {
          status: r.ok ? ('success' as const) : ('error' as const),
          connected: r.ok,
          message: r.message,
          details: r.ok ? null : r.message,
          error_kind: r.ok ? null : 'api',
          connack_code: null,
          devices: r.devices,
          duration_ms: ms(),
        };
      }
    }
  }

  app.get(
    '/api/v1/integrations',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['integrations'],
        description:
          "The organization's integrations, each with its health at a glance (and, for MQTT, its live connection).",
        querystring: Type.Object({
          ...PageQuery,
          type: Type.Optional(TypeSchema),
          status: Type.Optional(Type.Union(INTEGRATION_STATUSES.map((s) => Type.Literal(s)))),
        }),
        response: { 200: Page(IntegrationView) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { limit = 100, cursor, type, status } = request.query;
      const rows = await m.store.list({
        organizationId: p.organizationId,
        ...(type ? { type } : {}),
        ...(status ? { status } : {}),
        ...(cursor ? { after: decodeCursor(cursor) } : {}),
        limit: limit + 1,
      });
      return page(
        rows,
        limit,
        (r) => r.id,
        (r) => m.view(r),
      );
    },
  );

  app.post(
    '/api/v1/integrations',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['integrations'],
        body: Strict({
          type: TypeSchema,
          name: Type.String({ minLength: 1, maxLength: 200 }),
          status: Type.Optional(UserStatus),
          config: Config,
        }),
        response: {
          201: Type.Intersect([
            IntegrationView,
            Type.Object({
              credentials: Type.Optional(
                Type.Record(Type.String(), Type.String(), { description: 'Generated secrets, shown this once.' }),
              ),
            }),
          ]),
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { row, generated } = await m.service.create(p, request.body);
      await m.changed(row.id);
      await record(p, request.ip, 'integration.created', row.id, {
        name: row.name,
        type: row.type,
        status: row.status,
      });
      return reply
        .status(201)
        .send({ ...m.view(row), ...(generated ? { credentials: generated as Record<string, string> } : {}) });
    },
  );

  app.post(
    '/api/v1/integrations/test',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['integrations'],
        description:
          'Tests settings before saving them: connects (MQTT), calls the API (Golioth) or sends a test delivery (webhook) once.',
        body: Strict({ type: TypeSchema, config: Config }),
        response: { 200: TestResultView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const config = m.service.prepare(request.body.type, {}, request.body.config);
      return runTest(p, request.body.type, config, null);
    },
  );

  app.get(
    '/api/v1/integrations/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['integrations'], params: IdParams, response: { 200: IntegrationView } },
    },
    async (request) => m.view(await m.service.get(principalOf(request).organizationId, request.params.id)),
  );

  app.patch(
    '/api/v1/integrations/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['integrations'],
        description:
          'Changes apply live: a new broker setting reconnects, a topic change only (un)subscribes. `config` is a JSON merge patch; "***" keeps a stored secret.',
        params: IdParams,
        body: Strict({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          status: Type.Optional(UserStatus),
          config: Type.Optional(Config),
        }),
        response: { 200: IntegrationView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { row, changedConfig } = await m.service.update(p, request.params.id, request.body);
      await m.changed(row.id);
      await record(p, request.ip, 'integration.updated', row.id, {
        ...(request.body.name !== undefined ? { name: request.body.name } : {}),
        ...(request.body.status !== undefined ? { status: request.body.status } : {}),
        ...(changedConfig.length ? { config_changed: changedConfig } : {}),
      });
      return m.view((await m.store.byId(row.id)) ?? row);
    },
  );

  app.delete(
    '/api/v1/integrations/:id',
    { config: { auth: 'admin' }, schema: { tags: ['integrations'], params: IdParams } },
    async (request, reply) => {
      const p = principalOf(request);
      const row = await m.service.delete(p, request.params.id);
      await m.changed(row.id);
      await record(p, request.ip, 'integration.deleted', row.id, { name: row.name, type: row.type });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/integrations/:id/test',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['integrations'],
        description: 'Tests the saved settings, or the saved settings with `config` merged on top (not saved).',
        params: IdParams,
        body: Type.Optional(Strict({ config: Type.Optional(Config) })),
        response: { 200: TestResultView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await m.service.get(p.organizationId, request.params.id);
      const type = row.type as IntegrationType;
      const config = m.service.prepare(type, m.service.fullConfig(row), request.body?.config ?? {});
      return runTest(p, type, config, row.id);
    },
  );

  app.get(
    '/api/v1/integrations/:id/status',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['integrations'],
        description:
          'The live connection of an MQTT integration on this node (also pushed as `integration_status` on Socket.IO).',
        params: IdParams,
        response: { 200: ConnectionStatusView },
      },
    },
    async (request) => {
      const row = await m.subscriptions.integration(principalOf(request).organizationId, request.params.id);
      const live = m.mqtt.status(row.id);
      if (!live)
        throw new FieldlineError(
          'FIELDLINE_ERR_CONFLICT',
          row.status === 'inactive'
            ? `integration '${row.name}' is inactive`
            : `integration '${row.name}' is not running on this node`,
        );
      return connectionStatusView(live);
    },
  );

  app.post(
    '/api/v1/integrations/:id/reconnect',
    {
      config: { auth: 'admin' },
      schema: { tags: ['integrations'], params: IdParams, response: { 202: ConnectionStatusView } },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const row = await m.subscriptions.integration(p.organizationId, request.params.id);
      const connection = m.mqtt.connection(row.id);
      if (!connection)
        throw new FieldlineError('FIELDLINE_ERR_CONFLICT', `integration '${row.name}' is not running (inactive?)`);
      await connection.reconnect();
      await record(p, request.ip, 'integration.reconnected', row.id, { name: row.name });
      return reply.status(202).send(connectionStatusView(connection.status()));
    },
  );

  app.post(
    '/api/v1/integrations/:id/publish',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['integrations'],
        description:
          "Publishes a message on the integration's broker. `payload` is sent as is when a string, as JSON otherwise.",
        params: IdParams,
        body: Strict({
          topic: Type.String({ minLength: 1, maxLength: 1000 }),
          payload: Type.Unknown(),
          qos: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)])),
          retain: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Object({
            published: Type.Boolean(),
            topic: Type.String(),
            qos: Type.Integer(),
            bytes: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await m.subscriptions.integration(p.organizationId, request.params.id);
      const { topic, payload, qos = 1, retain = false } = request.body;
      const problem = topicNameProblem(topic);
      if (problem) throw invalid('topic', problem);
      const connection = m.mqtt.connection(row.id);
      if (!connection?.connected)
        throw new FieldlineError(
          'FIELDLINE_ERR_UNAVAILABLE',
          `integration '${row.name}' is not connected to its broker`,
          {
            retryAfter: 5,
          },
        );
      const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload ?? null));
      try {
        await connection.publish(topic, bytes, qos, retain);
      } catch (err) {
        throw new FieldlineError(
          'FIELDLINE_ERR_BAD_GATEWAY',
          `the broker did not take the message: ${(err as Error).message}`,
        );
      }
      await record(p, request.ip, 'integration.published', row.id, { topic, qos, retain, bytes: bytes.length });
      return { published: true, topic, qos, bytes: bytes.length };
    },
  );

  registerSubscriptionRoutes(app, deps);
  registerGoliothRoutes(app, deps);
}
