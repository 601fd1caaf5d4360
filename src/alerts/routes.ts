import { Type } from 'typebox';
import type { AuditLog } from '../audit/index.js';
import { principalOf } from '../auth/index.js';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { notFound } from '../kernel/index.js';
import type { AlertLifecycle } from './lifecycle.js';
import type { AlertRow, AlertStore } from './store.js';
import { AlertView, alertView } from './views.js';

export interface AlertRouteDeps {
  store: AlertStore;
  lifecycle: AlertLifecycle;
  audit: AuditLog;
  /** A device's name (cached registry), null once the device is gone. */
  deviceName: (id: string) => Promise<string | null>;
}

const Notes = Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]);

/** Alerts over HTTP: viewers read; operators and up acknowledge and resolve. */
export function registerAlertRoutes(app: Http, deps: AlertRouteDeps): void {
  const { store, lifecycle, audit } = deps;
  const view = async (r: AlertRow) => alertView(r, await deps.deviceName(r.device_id));

  app.get(
    '/api/v1/alerts',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['alerts'],
        description: 'Newest first.',
        querystring: Type.Object({
          ...PageQuery,
          device_id: Type.Optional(Type.String({ maxLength: 200 })),
          rule_id: Type.Optional(Type.String({ maxLength: 200 })),
          severity: Type.Optional(
            Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
          ),
          status: Type.Optional(
            Type.Union([
              Type.Literal('active'),
              Type.Literal('acknowledged'),
              Type.Literal('resolved'),
              Type.Literal('open'),
            ]),
          ),
          acknowledged: Type.Optional(Type.Boolean()),
        }),
        response: { 200: Page(AlertView) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { limit = 100, cursor, device_id, rule_id, severity, status, acknowledged } = request.query;
      const rows = await store.list({
        organizationId: p.organizationId,
        ...(device_id ? { deviceId: device_id } : {}),
        ...(rule_id ? { ruleId: rule_id } : {}),
        ...(severity ? { severity } : {}),
        ...(status ? { status } : {}),
        ...(acknowledged === undefined ? {} : { acknowledged }),
        ...(cursor ? { before: decodeCursor(cursor) } : {}),
        limit: limit + 1,
      });
      const result = page(
        rows,
        limit,
        (r) => r.id,
        (r) => r,
      );
      return { items: await Promise.all(result.items.map(view)), next_cursor: result.next_cursor };
    },
  );

  app.get(
    '/api/v1/alerts/:id',
    { config: { auth: 'viewer' }, schema: { tags: ['alerts'], params: IdParams, response: { 200: AlertView } } },
    async (request) => {
      const row = await store.byId(principalOf(request).organizationId, request.params.id);
      if (!row) throw notFound('alert', request.params.id);
      return view(row);
    },
  );

  app.post(
    '/api/v1/alerts/:id/acknowledge',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['alerts'],
        description: 'active → acknowledged: reminders and escalations stop. `acknowledged_by` defaults to the caller.',
        params: IdParams,
        body: Type.Optional(
          Type.Union([
            Strict({
              acknowledged_by: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              notes: Type.Optional(Notes),
            }),
            Type.Null(),
          ]),
        ),
        response: { 200: AlertView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const body = request.body ?? {};
      const row = await lifecycle.acknowledge(p, request.params.id, body.acknowledged_by, body.notes);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'alert.acknowledged',
        resourceType: 'alert',
        resourceId: row.id,
        details: { acknowledged_by: row.acknowledged_by, ...(body.notes ? { notes: body.notes } : {}) },
        ip: request.ip,
      });
      return view(row);
    },
  );

  app.post(
    '/api/v1/alerts/:id/resolve',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['alerts'],
        description: 'active or acknowledged → resolved. The rule starts a new episode if its condition still holds.',
        params: IdParams,
        body: Type.Optional(Type.Union([Strict({ notes: Type.Optional(Notes) }), Type.Null()])),
        response: { 200: AlertView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const notes = request.body?.notes;
      const row = await lifecycle.resolveByUser(p, request.params.id, notes);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'alert.resolved',
        resourceType: 'alert',
        resourceId: row.id,
        details: notes ? { notes } : {},
        ip: request.ip,
      });
      return view(row);
    },
  );
}
