import { Type } from 'typebox';
import { principalOf } from '../auth/guard.js';
import { decodeCursor, page } from '../http/pagination.js';
import { Page, PageQuery } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { toIso } from '../kernel/index.js';
import type { AuditLog, AuditRow } from './audit-log.js';

const AuditView = Type.Object({
  id: Type.String(),
  organization_id: Type.Union([Type.String(), Type.Null()]),
  actor_type: Type.String(),
  actor_id: Type.Union([Type.String(), Type.Null()]),
  actor_name: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  resource_type: Type.String(),
  resource_id: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});

const auditView = (r: AuditRow) => ({
  ...r,
  details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
  created_at: toIso(r.created_at),
});

/** The organization's audit trail, newest first, for admins. */
export function registerAuditRoutes(app: Http, audit: AuditLog): void {
  app.get(
    '/api/v1/audit',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['audit'],
        querystring: Type.Object({
          ...PageQuery,
          action: Type.Optional(Type.String({ maxLength: 100 })),
          resource_type: Type.Optional(Type.String({ maxLength: 100 })),
          actor_id: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: Page(AuditView) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { limit = 100, cursor, action, resource_type, actor_id } = request.query;
      const rows = await audit.list({
        organizationId: p.organizationId,
        ...(action ? { action } : {}),
        ...(resource_type ? { resourceType: resource_type } : {}),
        ...(actor_id ? { actorId: actor_id } : {}),
        ...(cursor ? { after: decodeCursor(cursor) } : {}),
        limit: limit + 1,
      });
      return page(rows, limit, (r) => r.id, auditView);
    },
  );
}
