import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Clock, EventBus, FieldlineEvents, Lifecycle, Logger } from '../kernel/index.js';
import type { HealthCheck } from '../observability/index.js';
import type { SecretBox } from '../secrets/index.js';
import type { Database, Dialect } from '../storage/index.js';
import { VERSION } from '../version.js';
import { MAX_RETRY_DELAY_MS } from './backoff.js';
import { DailySummaryScheduler, outboxSummarySource, withAlertFigures } from './daily-summary.js';
import { ChannelDispatcher } from './dispatcher.js';
import { EmailSender } from './email-sender.js';
import { MailboxStore } from './mailbox-store.js';
import { Notifier } from './notifier.js';
import { OutboundHttp } from './outbound-http.js';
import { OutboxStore } from './outbox-store.js';
import { OutboxWorker } from './outbox-worker.js';
import { RateLimiter } from './rate-limiter.js';
import { NotificationSettingsStore } from './settings-store.js';
import { type Resolver, SsrfGuard } from './ssrf-guard.js';
import type { AlertFigures, DailySummarySource, WebhookIntegrationResolver } from './types.js';
import { NtfySender, WebhookSender } from './webhook-sender.js';

export type NotificationsConfig = Pick<
  Config,
  | 'smtpUrl'
  | 'smtpFrom'
  | 'webhookAllow'
  | 'publicUrl'
  | 'notifyMaxAttempts'
  | 'notifyRetryBaseMs'
  | 'notifyLeaseMs'
  | 'notifyConcurrency'
  | 'webhookRateLimit'
  | 'notifySummaryCron'
>;

export interface NotificationsDeps {
  config: NotificationsConfig;
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  log: Logger;
  /** Sealing for SMTP passwords, signing secrets and target secrets (`SecretBox.forCredentials(keyring)`). */
  box: SecretBox;
  bus?: EventBus<FieldlineEvents>;
  /** DNS for webhook/ntfy/organization SMTP hosts; the OS resolver by default (tests inject one). */
  resolver?: Resolver;
  /** The daily summary's figures; default: the outbox's, with `alertFigures` for the alerts when given. */
  summarySource?: DailySummarySource;
  /** The alerts domain's figures for the daily summary; without them alerts are counted from the outbox. */
  alertFigures?: AlertFigures;
  /** Webhook integrations (issue 8) for `{integration_id}` targets. */
  resolveIntegration?: WebhookIntegrationResolver;
  /** Organization name for summaries. */
  organizationName?: (organizationId: string) => Promise<string>;
  /** A device's name and last message time, for device-offline emails (on `device.status` offline). */
  deviceLookup?: (deviceId: string) => Promise<{ name: string; last_seen: number | null } | null>;
}

const POLL_MS = 1000;
const RETENTION_MS = 30 * 86_400_000;
const HOUSEKEEPING_MS = 3_600_000;
/** A due row waiting longer than this means the workers are stuck or overloaded: /health says degraded. */
const BACKLOG_DEGRADED_MS = 5 * 60_000;

/**
 * Notifications, wired: outbox store and worker, email (SMTP or mailbox), signed SSRF-guarded webhooks,
 * ntfy, settings, and the daily summary schedule. start() begins claiming; stop() lets in-flight sends
 * finish (or gives their claims back) and closes the SMTP pools and HTTP connections.
 */
export class NotificationsModule implements Lifecycle {
  readonly name = 'notifications';
  readonly store: OutboxStore;
  readonly settings: NotificationSettingsStore;
  readonly mailbox: MailboxStore;
  readonly guard: SsrfGuard;
  readonly email: EmailSender;
  readonly notifier: Notifier;
  readonly worker: OutboxWorker;
  readonly summary: DailySummaryScheduler;
  readonly maxAttempts: number;
  readonly clock: Clock;
  private readonly http: OutboundHttp;
  private housekeeping: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly d: NotificationsDeps) {
    const { config, db, clock, log, box } = d;
    this.maxAttempts = config.notifyMaxAttempts;
    this.clock = clock;
    this.store = new OutboxStore(db, d.dialect);
    this.settings = new NotificationSettingsStore(db, box, clock);
    this.mailbox = new MailboxStore(db);
    this.guard = new SsrfGuard({ allow: config.webhookAllow, ...(d.resolver ? { resolver: d.resolver } : {}) });
    this.http = new OutboundHttp({ guard: this.guard, userAgent: `Fieldline/${VERSION} (+webhooks)` });
    const limiter = new RateLimiter(config.webhookRateLimit, clock);
    this.email = new EmailSender({
      smtpUrl: config.smtpUrl,
      smtpFrom: config.smtpFrom,
      settings: this.settings,
      mailbox: this.mailbox,
      guard: this.guard,
      clock,
      log,
    });
    const webhook = new WebhookSender({
      http: this.http,
      limiter,
      clock,
      signingSecret: (org) => this.settings.signingSecret(org),
    });
    const ntfy = new NtfySender({ http: this.http, limiter, clock });
    const dispatcher = new ChannelDispatcher({
      box,
      email: this.email,
      webhook,
      ntfy,
      clock,
      ...(d.resolveIntegration ? { resolveIntegration: d.resolveIntegration } : {}),
    });
    this.worker = new OutboxWorker({
      store: this.store,
      handler: dispatcher,
      clock,
      log: log.child({ component: 'notify' }),
      concurrency: config.notifyConcurrency,
      leaseMs: config.notifyLeaseMs,
      pollMs: POLL_MS,
      maxAttempts: config.notifyMaxAttempts,
      retryBaseMs: config.notifyRetryBaseMs,
      retryMaxMs: Math.max(config.notifyRetryBaseMs, MAX_RETRY_DELAY_MS),
      onSettled: (row, status, error) =>
        d.bus?.emit('notification.updated', {
          organization_id: row.organization_id,
          id: row.id,
          channel: row.channel,
          event: row.event,
          status,
          attempts: row.attempts,
          alert_id: row.alert_id,
          error,
        }),
    });
    this.notifier = new Notifier({
      db,
      store: this.store,
      settings: this.settings,
      box,
      email: this.email,
      webhook,
      ntfy,
      dispatcher,
      clock,
      log,
      publicUrl: config.publicUrl,
      onEnqueued: () => this.worker.wake(),
    });
    this.summary = new DailySummaryScheduler({
      cron: config.notifySummaryCron,
      settings: this.settings,
      notifier: this.notifier,
      source: d.summarySource ?? this.summarySource(d),
      clock,
      log,
    });
  }

  async start(): Promise<void> {
    this.worker.start();
    this.summary.start();
    this.housekeeping = setInterval(() => {
      void this.prune();
    }, HOUSEKEEPING_MS);
    this.housekeeping.unref();
    this.unsubscribe =
      this.d.bus?.on('device.status', (e) => (e.status === 'offline' ? this.onDeviceOffline(e) : undefined)) ?? null;
  }

  /** Emails the organization's device-offline recipients, when it has turned them on. */
  private summarySource(d: NotificationsDeps): DailySummarySource {
    const outbox = outboxSummarySource(this.store, d.organizationName ?? (async (id) => id));
    return d.alertFigures ? withAlertFigures(outbox, d.alertFigures) : outbox;
  }

  private async onDeviceOffline(e: FieldlineEvents['device.status']): Promise<void> {
    if (!(await this.settings.get(e.organization_id)).deviceOffline.enabled) return;
    const device = await this.d.deviceLookup?.(e.device_id);
    await this.notifier.notifyDeviceOffline({
      organization_id: e.organization_id,
      device_id: e.device_id,
      device_name: device?.name ?? e.device_id,
      last_seen_at: device?.last_seen ?? null,
      offline_since: e.ts,
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.housekeeping = null;
    this.summary.stop();
    await this.worker.stop();
    this.email.close();
    await this.http.close();
  }

  /** Delivered and dead notifications, and mailbox messages, are kept 30 days. */
  async prune(): Promise<void> {
    const before = this.d.clock.now() - RETENTION_MS;
    try {
      await this.store.prune(before);
      await this.mailbox.prune(before);
    } catch (err) {
      this.d.log.warn({ err }, 'notification housekeeping failed');
    }
  }

  /** /health part: the outbox backlog; degraded when a due notification waits more than 5 minutes. */
  healthCheck(): HealthCheck {
    return {
      name: 'notifications',
      required: false,
      check: async () => {
        const now = this.d.clock.now();
        const b = await this.store.backlog(now);
        const waitMs = b.oldest_due_at === null ? 0 : now - b.oldest_due_at;
        return {
          status: waitMs > BACKLOG_DEGRADED_MS ? 'degraded' : 'up',
          pending: b.pending,
          sending: b.sending,
          failed: b.failed,
          dead: b.dead,
          oldest_due_s: Math.round(waitMs / 1000),
          in_flight: this.worker.inFlight,
        };
      },
    };
  }
}
