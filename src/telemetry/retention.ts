import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { Clock, Lifecycle, Logger } from '../kernel/index.js';
import type { Database, Dialect } from '../storage/index.js';
import { COPY_NEWEST_INBOX_ROWS } from './latest-values.js';

export interface RetentionOptions {
  intervalMs: number;
  /** Rows deleted per statement: small enough that ingest never waits long for the write lock. */
  chunkRows: number;
}

export const DEFAULT_RETENTION: RetentionOptions = { intervalMs: 10 * 60_000, chunkRows: 5_000 };

/**
 * Deletes telemetry older than each organization's `settings.retention_days`, series by series, in chunks of
 * at most chunkRows, yielding to the event loop between chunks. Organizations without the setting keep all.
 */
export class RetentionSweeper implements Lifecycle {
  readonly name = 'retention';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RetentionOptions = DEFAULT_RETENTION,
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every organization; resolves with the number of points deleted. */
  sweep(): Promise<number> {
    this.running ??= this.pass()
      .catch((err: unknown) => {
        this.log.error({ err }, 'retention sweep failed');
        return 0;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async pass(): Promise<number> {
    let deleted = 0;
    const orgs = await this.db.selectFrom('organizations').select(['id', 'settings']).execute();
    for (const org of orgs) {
      const days = (JSON.parse(org.settings) as { retention_days?: unknown }).retention_days;
      if (typeof days !== 'number' || days <= 0) continue;
      const cutoff = this.clock.now() - days * 86_400_000;
      const series = await this.db
        .selectFrom('telemetry_series as s')
        .innerJoin('devices as d', 'd.id', 's.device_id')
        .select('s.id')
        .where('d.organization_id', '=', org.id)
        .execute();
      for (const { id } of series) deleted += await this.trimSeries(Number(id), cutoff);
      if (this.dialect === 'sqlite') deleted += await this.trimInbox(org.id, cutoff);
    }
    if (deleted > 0) this.log.info({ deleted }, 'retention removed old telemetry');
    return deleted;
  }

  /**
   * Expired points not merged out of the SQLite inbox yet (a new series that began with old data), in one
   * transaction for the organization: the inbox is small, and a statement per series would take the write lock
   * as often. A row above the copied mark may be its series' latest value, which telemetry_latest does not hold
   * yet (telemetry-inbox.ts): the newest of those is copied there first, so the latest value never moves back.
   */
  private trimInbox(organizationId: string, cutoff: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const expired = sql<boolean>`ts < ${cutoff} and series_id in (select s.id from telemetry_series s
        join devices d on d.id = s.device_id where d.organization_id = ${organizationId})`;
      const copied = sql<boolean>`seq > (select latest_seq from telemetry_inbox_copied where id = 1) and ${expired}`;
      const { before, after } = COPY_NEWEST_INBOX_ROWS;
      await sql`${sql.raw(before)}${copied}${sql.raw(after)}`.execute(trx);
      const r = await trx.deleteFrom('telemetry_inbox').where(expired).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }

  private async trimSeries(seriesId: number, cutoff: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      // The ts of the chunkRows-th oldest expired point bounds this chunk (a range delete on the primary key).
      const bound = await this.db
        .selectFrom('telemetry')
        .select('ts')
        .where('series_id', '=', seriesId)
        .where('ts', '<', cutoff)
        .orderBy('ts')
        .offset(this.options.chunkRows - 1)
        .limit(1)
        .executeTakeFirst();
      const upTo = bound ? Number(bound.ts) + 1 : cutoff;
      const r = await this.db
        .deleteFrom('telemetry')
        .where('series_id', '=', seriesId)
        .where('ts', '<', upTo)
        .executeTakeFirst();
      deleted += Number(r.numDeletedRows);
      if (!bound) return deleted;
      await yieldToEventLoop();
    }
  }
}
