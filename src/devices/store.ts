import { type Kysely, type Selectable, sql } from 'kysely';
import { type Database, type DevicesTable, type Dialect, UNICODE_LOWER } from '../storage/index.js';

export type DeviceRow = Selectable<DevicesTable>;

export interface DeviceFilter {
  organizationId: string;
  deviceType?: string;
  status?: string;
  search?: string;
  after?: string;
  limit: number;
}

/** The devices table, and the deletion of everything a device owns. */
export class DeviceStore {
  /** lower() of the dialect that folds all of Unicode, for the name search. */
  private readonly lower: string;

  constructor(
    private readonly db: Kysely<Database>,
    dialect: Dialect,
  ) {
    this.lower = dialect === 'sqlite' ? UNICODE_LOWER : 'lower';
  }

  byId(id: string): Promise<DeviceRow | undefined> {
    return this.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byTokenHash(hash: string): Promise<DeviceRow | undefined> {
    return this.db.selectFrom('devices').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  }

  list(f: DeviceFilter): Promise<DeviceRow[]> {
    let q = this.db.selectFrom('devices').selectAll().where('organization_id', '=', f.organizationId);
    if (f.deviceType) q = q.where('device_type', '=', f.deviceType);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.search) {
      const like = `%${f.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      // ESCAPE spelled out: PostgreSQL escapes with a backslash by default, SQLite has no escape character.
      const matches = (column: 'name' | 'id') =>
        sql<boolean>`${sql.raw(this.lower)}(${sql.ref(column)}) like ${like} escape '\\'`;
      q = q.where((eb) => eb.or([matches('name'), matches('id')]));
    }
    if (f.after) q = q.where('id', '>', f.after);
    return q.orderBy('id').limit(f.limit).execute();
  }

  async insert(row: DeviceRow): Promise<void> {
    await this.db.insertInto('devices').values(row).execute();
  }

  async update(id: string, patch: Partial<Omit<DeviceRow, 'id' | 'organization_id'>>): Promise<void> {
    await this.db.updateTable('devices').set(patch).where('id', '=', id).execute();
  }

  /** Deletes the device with its telemetry, latest values and commands, in one transaction. */
  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const series = tx.selectFrom('telemetry_series').select('id').where('device_id', '=', id);
      await tx.deleteFrom('telemetry').where('series_id', 'in', series).execute();
      await tx.deleteFrom('telemetry_inbox').where('series_id', 'in', series).execute();
      await tx.deleteFrom('telemetry_latest').where('series_id', 'in', series).execute();
      await tx.deleteFrom('telemetry_series').where('device_id', '=', id).execute();
      await tx.deleteFrom('device_commands').where('device_id', '=', id).execute();
      await tx.deleteFrom('devices').where('id', '=', id).execute();
    });
  }

  online(): Promise<DeviceRow[]> {
    return this.db.selectFrom('devices').selectAll().where('status', '=', 'online').execute();
  }

  /**
   * Writes presence for many devices at once (batched by the presence tracker): one statement per chunk of
   * devices rather than one UPDATE each — under load the tracker flushes every device every second.
   */
  async writePresence(updates: { id: string; status: string; last_seen: number | null }[]): Promise<void> {
    for (let i = 0; i < updates.length; i += PRESENCE_CHUNK) {
      const rows = updates
        .slice(i, i + PRESENCE_CHUNK)
        .map((u) => sql`(${u.id}, ${u.status}, cast(${u.last_seen} as bigint))`);
      await sql`with v(id, status, last_seen) as (values ${sql.join(rows)})
        update devices set status = v.status, last_seen = v.last_seen from v where devices.id = v.id`.execute(this.db);
    }
  }
}

/** Devices per presence statement: 3 parameters each, far below SQLite's and PostgreSQL's limits. */
const PRESENCE_CHUNK = 1000;
