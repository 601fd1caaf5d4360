import { Type } from 'typebox';
import type { AuditLog } from '../audit/index.js';
import { principalOf } from '../auth/index.js';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { conflict, FieldlineError, notFound } from '../kernel/index.js';
import type { NotificationsModule } from './module.js';
import { registerSettingsRoutes } from './settings-routes.js';
import { SsrfRefusal } from './ssrf-guard.js';
import type { Channel } from './types.js';
import { ChannelSchema, NotificationView, notificationView, StatusSchema, TestResultView } from './views.js';

export interface NotificationRouteDeps {
  notifications: NotificationsModule;
  audit: AuditLog;
}

const Target = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'email: {recipients}; webhook: {url, method?, headers?, auth?, payload_template?} or {integration_id}; ntfy: {server?, topic, token?}',
});

/** Refuses a target URL the SSRF guard would refuse anyway, before anything is stored or sent. */
function precheckUrl(n: NotificationsModule, channel: Channel, target: Record<string, unknown>): void {
  const url =
    channel === 'webhook' ? target.url : channel === 'ntfy' ? (target.server ?? 'https://ntfy.sh') : undefined;
  if (typeof url !== 'string') return;
  try {
    n.guard.checkUrl(url);
  } catch (err) {
    if (err instanceof SsrfRefusal) {
      const field = channel === 'webhook' ? 'target.url' : 'target.server';
      throw new FieldlineError('FIELDLINE_ERR_UNPROCESSABLE', err.message, {
        errors: [{ field, message: err.reason }],
      });
    }
    throw err;
  }
}

/** The outbox as users see it: list, inspect, retry, send a message, test a channel; plus settings and mailbox. */
export function registerNotificationRoutes(app: Http, deps: NotificationRouteDeps): void {
  const { notifications: n, audit } = deps;
  const view = (r: Parameters<typeof notificationView>[0]) => notificationView(r, n.maxAttempts);

  app.get(
    '/api/v1/notifications',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['notifications'],
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(StatusSchema),
          channel: Type.Optional(ChannelSchema),
          alert_id: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: Page(NotificationView) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { limit = 100, cursor, status, channel, alert_id } = request.query;
      const rows = await n.store.list({
        organizationId: p.organizationId,
        ...(status ? { status } : {}),
        ...(channel ? { channel } : {}),
        ...(alert_id ? { alertId: alert_id } : {}),
        ...(cursor ? { before: decodeCursor(cursor) } : {}),
        limit: limit + 1,
      });
      return page(rows, limit, (r) => r.id, view);
    },
  );

  app.get(
    '/api/v1/notifications/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['notifications'], params: IdParams, response: { 200: NotificationView } },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await n.store.get(p.organizationId, request.params.id);
      if (!row) throw notFound('notification', request.params.id);
      return view(row);
    },
  );

  app.post(
    '/api/v1/notifications',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['notifications'],
        description: 'Queues a message on a channel; it is delivered at least once, with retries.',
        body: Strict({
          channel: ChannelSchema,
          target: Target,
          subject: Type.String({ minLength: 1, maxLength: 200 }),
          message: Type.String({ minLength: 1, maxLength: 10_000 }),
          severity: Type.Optional(
            Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
          ),
          idempotency_key: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        }),
        response: { 202: NotificationView, 200: NotificationView },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { channel, target, subject, message, severity = 'info', idempotency_key } = request.body;
      precheckUrl(n, channel, target);
      const r = await n.notifier.enqueue({
        organizationId: p.organizationId,
        channel,
        target,
        content: { kind: 'message', subject, message, severity, at: n.clock.now() },
        ...(idempotency_key ? { idempotencyKey: `api:${idempotency_key}` } : {}),
      });
      const row = await n.store.get(p.organizationId, r.id);
      if (!row) throw notFound('notification', r.id);
      if (r.created)
        await audit.record({
          organizationId: p.organizationId,
          actor: p,
          action: 'notification.sent',
          resourceType: 'notification',
          resourceId: r.id,
          details: { channel, subject },
          ip: request.ip,
        });
      return reply.status(r.created ? 202 : 200).send(view(row));
    },
  );

  app.post(
    '/api/v1/notifications/:id/retry',
    {
      config: { auth: 'operator' },
      schema: { tags: ['notifications'], params: IdParams, response: { 200: NotificationView } },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await n.store.requeue(p.organizationId, request.params.id, n.clock.now());
      if (!row) {
        const existing = await n.store.get(p.organizationId, request.params.id);
        if (!existing) throw notFound('notification', request.params.id);
        throw conflict(`notification is ${existing.status}; only failed or dead notifications can be retried`);
      }
      n.worker.wake();
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'notification.retried',
        resourceType: 'notification',
        resourceId: row.id,
        ip: request.ip,
      });
      return view(row);
    },
  );

  app.post(
    '/api/v1/notifications/test',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['notifications'],
        description: 'Sends a test message now (not through the outbox) and reports the result.',
        body: Strict({ channel: ChannelSchema, target: Target }),
        response: { 200: TestResultView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { channel, target } = request.body;
      precheckUrl(n, channel, target);
      const result = await n.notifier.sendTest(p.organizationId, channel, target, p.name);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'notification.tested',
        resourceType: 'notification',
        details: { channel, ok: result.ok },
        ip: request.ip,
      });
      return result;
    },
  );

  registerSettingsRoutes(app, deps);
}
