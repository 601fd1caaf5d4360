import type { Kysely, Selectable } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { type Clock, type EventBus, type FieldlineEvents, type Logger, newId } from '../kernel/index.js';
import type { AuditLogTable, Database } from '../storage/index.js';

export type AuditRow = Selectable<AuditLogTable>;

export interface AuditEntry {
  organizationId: string | null;
  /** The principal who acted, or a plain actor for system actions and failed logins. */
  actor: Principal | { kind: 'system' | 'anonymous'; id?: string | null; name: string | null };
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
}

export interface AuditQuery {
  organizationId: string;
  action?: string;
  resourceType?: string;
  actorId?: string;
  after?: string;
  limit: number;
}

/**
 * Who did what, when. Written after the change it describes succeeded; a failure to write the audit line is
 * logged loudly but does not undo the change the user already saw succeed.
 */
export class AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly bus?: EventBus<FieldlineEvents>,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const row: AuditRow = {
      id: newId(),
      organization_id: entry.organizationId,
      actor_type: entry.actor.kind,
      actor_id: entry.actor.id ?? null,
      actor_name: entry.actor.name,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
      ip: entry.ip ?? null,
      created_at: this.clock.now(),
    };
    try {
      await this.db.insertInto('audit_log').values(row).execute();
      this.bus?.emit('audit.recorded', {
        organization_id: row.organization_id,
        action: row.action,
        resource_type: row.resource_type,
        resource_id: row.resource_id,
      });
    } catch (err) {
      this.log.error({ err, action: entry.action }, 'audit log write failed');
    }
  }

  list(q: AuditQuery): Promise<AuditRow[]> {
    let query = this.db.selectFrom('audit_log').selectAll().where('organization_id', '=', q.organizationId);
    if (q.action) query = query.where('action', '=', q.action);
    if (q.resourceType) query = query.where('resource_type', '=', q.resourceType);
    if (q.actorId) query = query.where('actor_id', '=', q.actorId);
    // Newest first: the cursor is the last id seen, and ids are time-ordered.
    if (q.after) query = query.where('id', '<', q.after);
    return query.orderBy('id', 'desc').limit(q.limit).execute();
  }
}
