import { Type } from 'typebox';
import { principalOf } from '../auth/index.js';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { FieldlineError, newId, notFound, toIso } from '../kernel/index.js';
import type { NotificationRouteDeps } from './routes.js';
import { literalIp } from './ssrf-guard.js';
import { MailboxView, mailboxView, SettingsBody, SettingsView, settingsView } from './views.js';

/** Organization settings (own SMTP server, signing secret, summary and offline recipients) and the mailbox. */
export function registerSettingsRoutes(app: Http, deps: NotificationRouteDeps): void {
  const { notifications: n, audit } = deps;
  const render = async (organizationId: string) =>
    settingsView(await n.settings.get(organizationId), await n.email.transportKind(organizationId));

  app.get(
    '/api/v1/notifications/settings',
    { config: { auth: 'admin' }, schema: { tags: ['notifications'], response: { 200: SettingsView } } },
    async (request) => render(principalOf(request).organizationId),
  );

  app.put(
    '/api/v1/notifications/settings',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['notifications'],
        description: 'Fields left out are kept; smtp.password is write-only (omit it to keep the current one).',
        body: SettingsBody,
        response: { 200: SettingsView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { smtp, daily_summary, device_offline } = request.body;
      if (smtp) {
        const literal = literalIp(smtp.host);
        const why = literal ? n.guard.refusalOf(literal) : null;
        if (why)
          throw new FieldlineError('FIELDLINE_ERR_UNPROCESSABLE', `smtp.host ${smtp.host} is refused: ${why}`, {
            errors: [{ field: 'smtp.host', message: why }],
          });
      }
      await n.settings.update(p.organizationId, {
        ...(smtp === undefined
          ? {}
          : {
              smtp:
                smtp === null
                  ? null
                  : {
                      host: smtp.host,
                      port: smtp.port,
                      secure: smtp.secure ?? smtp.port === 465,
                      require_tls: smtp.require_tls ?? false,
                      username: smtp.username ?? null,
                      from_address: smtp.from_address,
                      from_name: smtp.from_name ?? null,
                      ...(smtp.password === undefined ? {} : { password: smtp.password }),
                    },
            }),
        ...(daily_summary ? { daily_summary } : {}),
        ...(device_offline ? { device_offline } : {}),
      });
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'notification_settings.updated',
        resourceType: 'notification_settings',
        resourceId: p.organizationId,
        // Never the password: only whether it changed.
        details: {
          ...(smtp === undefined
            ? {}
            : {
                smtp:
                  smtp === null
                    ? null
                    : { host: smtp.host, port: smtp.port, password_changed: smtp.password !== undefined },
              }),
          ...(daily_summary ? { daily_summary } : {}),
          ...(device_offline ? { device_offline } : {}),
        },
        ip: request.ip,
      });
      return render(p.organizationId);
    },
  );

  app.post(
    '/api/v1/notifications/settings/signing-secret/rotate',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['notifications'],
        description: 'Replaces the webhook signing secret. The answer is the only time the secret is shown.',
        response: { 200: Type.Object({ signing_secret: Type.String(), rotated_at: Type.String() }) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { secret, rotatedAt } = await n.settings.rotateSigningSecret(p.organizationId);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'notification_settings.signing_secret_rotated',
        resourceType: 'notification_settings',
        resourceId: p.organizationId,
        ip: request.ip,
      });
      return { signing_secret: secret, rotated_at: toIso(rotatedAt) };
    },
  );

  app.post(
    '/api/v1/notifications/daily-summary',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['notifications'],
        description: "Sends the organization's daily summary now, to its configured recipients.",
        response: { 202: Type.Object({ notification_id: Type.String() }) },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { dailySummary } = await n.settings.get(p.organizationId);
      if (dailySummary.recipients.length === 0)
        throw new FieldlineError('FIELDLINE_ERR_UNPROCESSABLE', 'Set daily_summary.recipients in the settings first', {
          errors: [{ field: 'daily_summary.recipients', message: 'is empty' }],
        });
      const now = n.clock.now();
      const summary = await n.summary.source(p.organizationId, now - 86_400_000, now);
      const r = await n.notifier.enqueue({
        organizationId: p.organizationId,
        channel: 'email',
        target: { recipients: dailySummary.recipients },
        content: { kind: 'daily_summary', summary },
        idempotencyKey: `summary.manual:${newId(now)}`,
      });
      return reply.status(202).send({ notification_id: r.id });
    },
  );

  app.get(
    '/api/v1/mailbox',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['notifications'],
        description: 'Emails stored instead of sent while no SMTP server is configured, newest first.',
        querystring: Type.Object(PageQuery),
        response: { 200: Page(MailboxView) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const limit = request.query.limit ?? 100;
      const rows = await n.mailbox.list(p.organizationId, decodeCursor(request.query.cursor), limit + 1);
      return page(rows, limit, (r) => r.id, mailboxView);
    },
  );

  app.get(
    '/api/v1/mailbox/:id',
    {
      config: { auth: 'admin' },
      schema: { tags: ['notifications'], params: IdParams, response: { 200: MailboxView } },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await n.mailbox.get(p.organizationId, request.params.id);
      if (!row) throw notFound('mailbox message', request.params.id);
      return mailboxView(row);
    },
  );
}
