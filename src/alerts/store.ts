import type SQLite from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { AlertsTable, Database } from '../storage/index.js';
import { isUniqueViolation } from '../storage/index.js';

export type AlertRow = Selectable<AlertsTable>;
export type AlertStatus = 'active' | 'acknowledged' | 'resolved';
export const ALERT_STATUSES: readonly AlertStatus[] = ['active', 'acknowledged', 'resolved'];

const ALERT_COLUMNS = [
  'id',
  'organization_id',
  'rule_id',
  'rule_name',
  'device_id',
  'severity',
  'status',
  'message',
  'value',
  'threshold',
  'escalation_level',
  'created_at',
  'updated_at',
  'acknowledged_at',
  'acknowledged_by',
  'notes',
  'resolved_at',
  'resolved_by',
] as const satisfies readonly (keyof AlertRow)[];

export interface AlertFilter {
  organizationId: string;
  deviceId?: string;
  ruleId?: string;
  severity?: string;
  /** A status, or `open` for active and acknowledged. */
  status?: AlertStatus | 'open';
  acknowledged?: boolean;
  /** Newest first: ids below this one. */
  before?: string;
  limit: number;
}

/** The alerts table. State changes are conditional UPDATEs, so two nodes or two clicks cannot both win. */
export class AlertStore {
  private insertStatement: SQLite.Statement | null = null;

  /**
   * `sqlite`: the raw handle of the embedded default, for the insert that raising an alert waits on (see
   * insertOpen); null on PostgreSQL.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: SQLite.Database | null = null,
  ) {}

  /**
   * Inserts a new open alert; when the rule×device already has one open (the partial unique index), answers
   * that one instead and nothing is written.
   *
   * On SQLite, when no transaction is open on the connection, the insert runs as one synchronous autocommit
   * statement on the raw handle instead of queueing behind Kysely's connection lock (a batch of presence
   * updates can hold it for milliseconds): raising an alert is on the latency path from a point to a browser.
   * With a transaction open it takes the ordinary path, so it can never become part of someone else's.
   */
  async insertOpen(row: AlertRow): Promise<{ created: boolean; row: AlertRow }> {
    const now = this.insertOpenNow(row);
    if (now) return now;
    try {
      await this.db.insertInto('alerts').values(row).execute();
      return { created: true, row };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const existing = await this.openFor(row.rule_id, row.device_id);
      if (!existing) throw err;
      return { created: false, row: existing };
    }
  }

  /** insertOpen, synchronously, when the SQLite fast path applies and the insert does not conflict; else null. */
  insertOpenNow(row: AlertRow): { created: true; row: AlertRow } | null {
    if (!this.sqlite || this.sqlite.inTransaction) return null;
    this.insertStatement ??= this.sqlite.prepare(
      `insert into alerts (${ALERT_COLUMNS.join(', ')}) values (${ALERT_COLUMNS.map(() => '?').join(', ')})`,
    );
    try {
      this.insertStatement.run(...ALERT_COLUMNS.map((c) => row[c]));
      return { created: true, row };
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  openFor(ruleId: string, deviceId: string): Promise<AlertRow | undefined> {
    return this.db
      .selectFrom('alerts')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .where('device_id', '=', deviceId)
      .where('status', '<>', 'resolved')
      .executeTakeFirst();
  }

  get(id: string): Promise<AlertRow | undefined> {
    return this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byId(organizationId: string, id: string): Promise<AlertRow | undefined> {
    return this.db
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
  }

  /** Every open alert (at start: the engine's firing states and the follow-up timers come from these). */
  open(): Promise<AlertRow[]> {
    return this.db.selectFrom('alerts').selectAll().where('status', '<>', 'resolved').execute();
  }

  openOfRule(ruleId: string): Promise<AlertRow[]> {
    return this.db
      .selectFrom('alerts')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .where('status', '<>', 'resolved')
      .execute();
  }

  openOfDevice(deviceId: string): Promise<AlertRow[]> {
    return this.db
      .selectFrom('alerts')
      .selectAll()
      .where('device_id', '=', deviceId)
      .where('status', '<>', 'resolved')
      .execute();
  }

  /** Alerts resolved since `since` by their condition or a person (for re-enqueueing notifications at start). */
  resolvedSince(since: number, limit: number): Promise<AlertRow[]> {
    return this.db
      .selectFrom('alerts')
      .selectAll()
      .where('resolved_at', '>=', since)
      .where('resolved_by', '<>', 'system')
      .orderBy('resolved_at', 'desc')
      .limit(limit)
      .execute();
  }

  list(f: AlertFilter): Promise<AlertRow[]> {
    let q = this.db.selectFrom('alerts').selectAll().where('organization_id', '=', f.organizationId);
    if (f.deviceId) q = q.where('device_id', '=', f.deviceId);
    if (f.ruleId) q = q.where('rule_id', '=', f.ruleId);
    if (f.severity) q = q.where('severity', '=', f.severity);
    if (f.status === 'open') q = q.where('status', '<>', 'resolved');
    else if (f.status) q = q.where('status', '=', f.status);
    if (f.acknowledged === true) q = q.where('acknowledged_at', 'is not', null);
    if (f.acknowledged === false) q = q.where('acknowledged_at', 'is', null);
    if (f.before) q = q.where('id', '<', f.before);
    return q.orderBy('id', 'desc').limit(f.limit).execute();
  }

  /** active → acknowledged (an acknowledged alert takes new notes); null when it is resolved or gone. */
  async acknowledge(id: string, at: number, by: string, notes: string | null | undefined): Promise<AlertRow | null> {
    const current = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!current || current.status === 'resolved') return null;
    const patch: Partial<AlertRow> =
      current.status === 'active'
        ? { status: 'acknowledged', acknowledged_at: at, acknowledged_by: by, updated_at: at }
        : { updated_at: at };
    if (notes !== undefined) patch.notes = notes;
    const r = await this.db
      .updateTable('alerts')
      .set(patch)
      .where('id', '=', id)
      .where('status', '=', current.status)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? { ...current, ...patch } : null;
  }

  /** Any open status → resolved; null when it was already resolved (someone else won). */
  async resolve(id: string, at: number, by: string, notes?: string | null): Promise<AlertRow | null> {
    const current = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!current || current.status === 'resolved') return null;
    const patch: Partial<AlertRow> = { status: 'resolved', resolved_at: at, resolved_by: by, updated_at: at };
    if (notes !== undefined && notes !== null) patch.notes = notes;
    const r = await this.db
      .updateTable('alerts')
      .set(patch)
      .where('id', '=', id)
      .where('status', '<>', 'resolved')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? { ...current, ...patch } : null;
  }

  /** An unacknowledged alert moves up one escalation level (and maybe severity); null when it moved on. */
  async escalate(id: string, level: number, severity: string, at: number): Promise<AlertRow | null> {
    const r = await this.db
      .updateTable('alerts')
      .set({ escalation_level: level, severity, updated_at: at })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .where('escalation_level', '<', level)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return null;
    return (await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }
}
