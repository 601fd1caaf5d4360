import { Cron } from 'croner';
import type { Clock, Logger } from '../kernel/index.js';
import type { StoredPayload } from './dispatcher.js';
import type { Notifier } from './notifier.js';
import type { OutboxStore } from './outbox-store.js';
import type { NotificationSettingsStore } from './settings-store.js';
import type { AlertFigures, DailySummaryData, DailySummarySource } from './types.js';

const DAY_MS = 86_400_000;

export interface DailySummaryOptions {
  /** Cron pattern in the server's time zone (FIELDLINE_NOTIFY_SUMMARY_CRON, default 07:00 every day). */
  cron: string;
  settings: NotificationSettingsStore;
  notifier: Notifier;
  source: DailySummarySource;
  clock: Clock;
  log: Logger;
}

/**
 * Emails each organization that turned it on a summary of its last 24 hours, on a croner schedule. Every node
 * may run the schedule: the idempotency key (organization, day) lets only the first one enqueue.
 */
export class DailySummaryScheduler {
  private job: Cron | null = null;

  constructor(private readonly o: DailySummaryOptions) {}

  start(): void {
    if (this.job) return;
    this.job = new Cron(this.o.cron, { protect: true, unref: true }, async () => {
      try {
        await this.run();
      } catch (err) {
        this.o.log.error({ err }, 'daily summary failed');
      }
    });
  }

  stop(): void {
    this.job?.stop();
    this.job = null;
  }

  /** Where the figures come from (injected; see outboxSummarySource). */
  get source(): DailySummarySource {
    return this.o.source;
  }

  nextRun(): Date | null {
    return this.job?.nextRun() ?? null;
  }

  /** Enqueues the summary for every organization that wants one; answers how many were enqueued. */
  async run(now: number = this.o.clock.now()): Promise<number> {
    const day = new Date(now).toISOString().slice(0, 10);
    let enqueued = 0;
    for (const { organizationId, recipients } of await this.o.settings.dailySummaryRecipients()) {
      // One organization's failure (a bad recipient list, a source error) does not cost the others theirs.
      try {
        const summary = await this.o.source(organizationId, now - DAY_MS, now);
        const r = await this.o.notifier.enqueue({
          organizationId,
          channel: 'email',
          target: { recipients },
          content: { kind: 'daily_summary', summary },
          idempotencyKey: `summary.daily:${day}`,
        });
        if (r.created) enqueued++;
      } catch (err) {
        this.o.log.error({ err, organization_id: organizationId }, 'daily summary not enqueued');
      }
    }
    if (enqueued > 0) this.o.log.info({ organizations: enqueued, day }, 'daily summaries enqueued');
    return enqueued;
  }
}

/**
 * The summary's figures when the alerts domain does not provide them: alerts are counted from the alert
 * notifications this module enqueued (an alert raised with no notifying action is not seen), open alerts
 * are unknown. The app adds the alerts domain's own figures on top (withAlertFigures).
 */
export function outboxSummarySource(
  store: OutboxStore,
  organizationName: (organizationId: string) => Promise<string>,
): DailySummarySource {
  return async (organizationId, from, to): Promise<DailySummaryData> => {
    const rows = await store.inWindow(organizationId, from, to);
    const raised = new Map<string, StoredPayload['meta']>();
    const resolved = new Set<string>();
    const notifications = { delivered: 0, failed: 0, dead: 0, pending: 0 };
    for (const r of rows) {
      if (r.status === 'delivered') notifications.delivered++;
      else if (r.status === 'dead') notifications.dead++;
      else if (r.status === 'failed') notifications.failed++;
      else notifications.pending++;
      if (!r.alert_id) continue;
      if (r.event === 'alert.raised' && !raised.has(r.alert_id))
        raised.set(r.alert_id, (JSON.parse(r.payload) as StoredPayload).meta);
      if (r.event === 'alert.resolved') resolved.add(r.alert_id);
    }
    const bySeverity: Record<string, number> = {};
    const byDevice = new Map<string, { device_id: string | null; device_name: string | null; count: number }>();
    for (const meta of raised.values()) {
      const sev = meta.severity ?? 'unknown';
      bySeverity[sev] = (bySeverity[sev] ?? 0) + 1;
      const key = meta.device_id ?? '';
      const d = byDevice.get(key) ?? { device_id: meta.device_id, device_name: meta.device_name, count: 0 };
      d.count++;
      byDevice.set(key, d);
    }
    return {
      organization_id: organizationId,
      organization_name: await organizationName(organizationId),
      from,
      to,
      source: 'notifications',
      alerts: {
        raised: raised.size,
        resolved: resolved.size,
        open: null,
        by_severity: bySeverity,
        top_devices: [...byDevice.values()].sort((a, b) => b.count - a.count).slice(0, 5),
      },
      notifications,
    };
  };
}

/** The outbox's notification figures with the alerts domain's alert figures (`source: 'alerts'`). */
export function withAlertFigures(outbox: DailySummarySource, figures: AlertFigures): DailySummarySource {
  return async (organizationId, from, to) => {
    const [base, alerts] = await Promise.all([outbox(organizationId, from, to), figures(organizationId, from, to)]);
    return { ...base, source: 'alerts', alerts };
  };
}
