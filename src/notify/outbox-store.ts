import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, Dialect, NotificationOutboxTable } from '../storage/index.js';
import type { Channel, OutboxStatus } from './types.js';

export type OutboxRow = Selectable<NotificationOutboxTable>;

export interface NewOutboxRow {
  id: string;
  organization_id: string;
  channel: Channel;
  event: string;
  target: string;
  target_secret: string | null;
  payload: string;
  idempotency_key: string;
  alert_id: string | null;
  created_at: number;
  /** Defaults to created_at: due at once. */
  next_attempt_at?: number;
}

export interface OutboxQuery {
  organizationId: string;
  status?: OutboxStatus;
  channel?: Channel;
  alertId?: string;
  /** Newest first: rows with an id below this one. */
  before?: string;
  limit: number;
}

export interface Backlog {
  pending: number;
  sending: number;
  failed: number;
  dead: number;
  /** When the longest-waiting due row became due, or null when nothing waits. */
  oldest_due_at: number | null;
}

/**
 * The outbox table. Claims are atomic and safe with several nodes: PostgreSQL locks the chosen rows with
 * FOR UPDATE SKIP LOCKED so concurrent claimers take disjoint rows; SQLite runs the single UPDATE … RETURNING
 * under its one writer lock. A claim is a lease: a row in `sending` whose locked_until passed (its node died)
 * is claimed again. Every completion checks the lease owner, so a node that lost its lease cannot overwrite
 * the result of the node that took over.
 */
export class OutboxStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Inserts unless the organization already has a row with this idempotency key; either way answers its id. */
  async insert(row: NewOutboxRow, db: Kysely<Database> = this.db): Promise<{ id: string; created: boolean }> {
    const inserted = await db
      .insertInto('notification_outbox')
      .values({
        id: row.id,
        organization_id: row.organization_id,
        channel: row.channel,
        event: row.event,
        target: row.target,
        target_secret: row.target_secret,
        payload: row.payload,
        idempotency_key: row.idempotency_key,
        alert_id: row.alert_id,
        status: 'pending',
        attempts: 0,
        next_attempt_at: row.next_attempt_at ?? row.created_at,
        locked_by: null,
        locked_until: null,
        last_error: null,
        created_at: row.created_at,
        updated_at: row.created_at,
        delivered_at: null,
      })
      .onConflict((oc) => oc.columns(['organization_id', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, created: true };
    const existing = await db
      .selectFrom('notification_outbox')
      .select('id')
      .where('organization_id', '=', row.organization_id)
      .where('idempotency_key', '=', row.idempotency_key)
      .executeTakeFirstOrThrow();
    return { id: existing.id, created: false };
  }

  /** Takes up to `limit` due rows (and rows whose lease expired) for `owner` until now + leaseMs. */
  async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<OutboxRow[]> {
    if (limit <= 0) return [];
    const due = this.db
      .selectFrom('notification_outbox')
      .select('id')
      // A claimed row's next_attempt_at is its lease end, so one range over the partial index
      // notification_outbox_claim finds both due rows and rows whose node died.
      .where('status', 'in', ['pending', 'failed', 'sending'])
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    const rows = await this.db
      .updateTable('notification_outbox')
      .set((eb) => ({
        status: 'sending',
        locked_by: owner,
        locked_until: now + leaseMs,
        next_attempt_at: now + leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      .where('id', 'in', due)
      .returningAll()
      .execute();
    // RETURNING order is unspecified; ids are time-ordered, so this sends oldest first.
    return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Extends the lease of rows this owner is still sending. */
  async renew(owner: string, ids: readonly string[], until: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('notification_outbox')
      .set({ locked_until: until, next_attempt_at: until })
      .where('id', 'in', [...ids])
      .where('locked_by', '=', owner)
      .where('status', '=', 'sending')
      .execute();
  }

  /** markDelivered for many rows in one statement; answers the ids this owner still held. */
  async markDeliveredMany(ids: readonly string[], owner: string, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('notification_outbox')
      .set({ status: 'delivered', delivered_at: now, locked_by: null, locked_until: null, updated_at: now })
      .where('id', 'in', [...ids])
      .where('locked_by', '=', owner)
      .where('status', '=', 'sending')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async markDelivered(id: string, owner: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('notification_outbox')
      .set({ status: 'delivered', delivered_at: now, locked_by: null, locked_until: null, updated_at: now })
      .where('id', '=', id)
      .where('locked_by', '=', owner)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Records a failed attempt: `failed` and due again at retryAt, or `dead` when retryAt is null. */
  async markFailed(id: string, owner: string, now: number, error: string, retryAt: number | null): Promise<boolean> {
    const r = await this.db
      .updateTable('notification_outbox')
      .set({
        status: retryAt === null ? 'dead' : 'failed',
        next_attempt_at: retryAt ?? now,
        last_error: error.slice(0, 2000),
        locked_by: null,
        locked_until: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('locked_by', '=', owner)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Gives a claim back without counting it as an attempt (shutdown, per-URL rate limit). */
  async release(id: string, owner: string, now: number, dueAt: number): Promise<boolean> {
    const r = await this.db
      .updateTable('notification_outbox')
      .set((eb) => ({
        status: 'pending',
        attempts: sql<number>`case when ${eb.ref('attempts')} > 0 then ${eb.ref('attempts')} - 1 else 0 end`,
        next_attempt_at: dueAt,
        locked_by: null,
        locked_until: null,
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('locked_by', '=', owner)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Puts a failed or dead row back in the queue with a fresh attempt budget. */
  async requeue(organizationId: string, id: string, now: number): Promise<OutboxRow | undefined> {
    return this.db
      .updateTable('notification_outbox')
      .set({
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        locked_by: null,
        locked_until: null,
        updated_at: now,
      })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('status', 'in', ['failed', 'dead'])
      .returningAll()
      .executeTakeFirst();
  }

  get(organizationId: string, id: string): Promise<OutboxRow | undefined> {
    return this.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  list(q: OutboxQuery): Promise<OutboxRow[]> {
    let query = this.db.selectFrom('notification_outbox').selectAll().where('organization_id', '=', q.organizationId);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.channel) query = query.where('channel', '=', q.channel);
    if (q.alertId) query = query.where('alert_id', '=', q.alertId);
    if (q.before) query = query.where('id', '<', q.before);
    return query.orderBy('id', 'desc').limit(q.limit).execute();
  }

  async backlog(now: number): Promise<Backlog> {
    const counts = await this.db
      .selectFrom('notification_outbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', ['pending', 'sending', 'failed', 'dead'])
      .groupBy('status')
      .execute();
    const oldest = await this.db
      .selectFrom('notification_outbox')
      .select((eb) => eb.fn.min<number | null>('next_attempt_at').as('at'))
      .where('status', 'in', ['pending', 'failed'])
      .where('next_attempt_at', '<=', now)
      .executeTakeFirst();
    const of = (s: string) => Number(counts.find((c) => c.status === s)?.n ?? 0);
    return {
      pending: of('pending'),
      sending: of('sending'),
      failed: of('failed'),
      dead: of('dead'),
      oldest_due_at: oldest?.at === null || oldest?.at === undefined ? null : Number(oldest.at),
    };
  }

  /** Rows created in [from, to) for one organization: the daily summary's raw material. */
  inWindow(organizationId: string, from: number, to: number) {
    return this.db
      .selectFrom('notification_outbox')
      .select(['channel', 'event', 'status', 'alert_id', 'payload'])
      .where('organization_id', '=', organizationId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .execute();
  }

  /** Deletes finished rows (delivered or dead) last touched before `before`; answers how many. */
  async prune(before: number): Promise<number> {
    const r = await this.db
      .deleteFrom('notification_outbox')
      .where('status', 'in', ['delivered', 'dead'])
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
