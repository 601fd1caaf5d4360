import { type Kysely, type Selectable, sql } from 'kysely';
import type { CommandUpdatedEvent } from '../kernel/events.js';
import type { Database, DeviceCommandsTable } from '../storage/index.js';

export type CommandRow = Selectable<DeviceCommandsTable>;
export type CommandStatus = CommandUpdatedEvent['status'];

/** States a command can still leave; every other state is final. */
export const OUTSTANDING: readonly CommandStatus[] = ['pending', 'delivered'];

export interface CommandFilter {
  deviceId: string;
  status?: CommandStatus;
  /** Newest first: the last id of the previous page. */
  before?: string;
  limit: number;
}

/**
 * The device_commands table. Every state change is a conditional UPDATE (`where status in (...)`), so two
 * Fieldline nodes, or a timer racing a late response, can never move one command twice: the loser sees zero
 * rows changed and lets it be.
 */
export class CommandStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: CommandRow): Promise<void> {
    await this.db.insertInto('device_commands').values(row).execute();
  }

  byId(id: string): Promise<CommandRow | undefined> {
    return this.db.selectFrom('device_commands').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(f: CommandFilter): Promise<CommandRow[]> {
    let q = this.db.selectFrom('device_commands').selectAll().where('device_id', '=', f.deviceId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.before) q = q.where('id', '<', f.before);
    return q.orderBy('id', 'desc').limit(f.limit).execute();
  }

  /** Commands still waiting to be delivered or answered, oldest first (for recovery at start). */
  outstanding(): Promise<CommandRow[]> {
    return this.db
      .selectFrom('device_commands')
      .selectAll()
      .where('status', 'in', [...OUTSTANDING])
      .orderBy('id')
      .execute();
  }

  /**
   * Moves a command from one of `from` to a new state; false when it was no longer in one of them.
   * delivered_at is kept when already set, so a response that overtakes the delivery mark keeps both times.
   */
  async transition(
    id: string,
    from: readonly CommandStatus[],
    changes: Partial<Omit<CommandRow, 'id' | 'organization_id' | 'device_id' | 'delivered_at'>> & {
      delivered_at?: number | null;
      keepDeliveredAt?: number;
    },
  ): Promise<boolean> {
    const { keepDeliveredAt, ...set } = changes;
    const values =
      keepDeliveredAt === undefined
        ? set
        : { ...set, delivered_at: sql<number>`coalesce(delivered_at, ${keepDeliveredAt})` };
    const result = await this.db
      .updateTable('device_commands')
      .set(values)
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
