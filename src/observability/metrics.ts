import type { Kysely } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, type Histogram, Registry } from 'prom-client';
import type { Cache } from '../cache/index.js';
import type { Clock, EventBus, FieldlineEvents } from '../kernel/index.js';
import type { CheckpointStats, Database } from '../storage/index.js';
import type { IngestCounters } from '../telemetry/index.js';
import { ScrapeMemo } from './scrape-memo.js';

/** What the rule engine counts (src/rules EngineStats): read at scrape time. */
export interface RuleEngineStats {
  events: number;
  points: number;
  evaluations: number;
  busyMs: number;
}

/** Where /metrics reads from. Everything optional is wired by app.ts as the modules exist. */
export interface MetricsSources {
  version: string;
  clock: Clock;
  db: Kysely<Database>;
  bus: EventBus<FieldlineEvents>;
  ingest: { counters: IngestCounters; readonly backlog: number };
  caches: { all(): Cache<unknown>[] };
  /** Open alerts by severity over every organization, under the key `*` (the cache layer's alert_counts). */
  alertCounts: Cache<{ severity: string; n: number }[] | null>;
  /** The embedded broker's counters; null with an external broker. */
  broker: () => {
    connections: number;
    messagesIn: number;
    messagesOutByFamily: Record<string, number>;
  } | null;
  mqttRouter: { received: Record<string, number> };
  /** The notification outbox backlog (NotificationsModule.store.backlog). */
  outboxBacklog?: (now: number) => Promise<{
    pending: number;
    sending: number;
    failed: number;
    dead: number;
    oldest_due_at: number | null;
  }>;
}

/**
 * Scrape-time database figures are kept this long, so several Prometheus servers or a tight scrape interval
 * do not load the database. Short: presence writes status to the database about once a second.
 */
const SCRAPE_CACHE_MS = 2000;
const SEVERITIES = new Set(['info', 'warning', 'critical']);
const CHANNELS = new Set(['email', 'webhook', 'ntfy']);
const severity = (s: string) => (SEVERITIES.has(s) ? s : 'other');

/**
 * Fieldline's Prometheus metrics in one registry per app (tests run several apps in one process). Hot paths
 * keep plain counters in their own modules; this reads them at scrape time, and asks the database for
 * devices per organization and status, open alerts and the outbox backlog (each cached a few seconds).
 */
export class FieldlineMetrics {
  readonly registry = new Registry();
  private socketIo: (() => { connections: number; authenticated?: number }) | null = null;
  private checkpoints: (() => CheckpointStats | null) | null = null;
  private rules: (() => RuleEngineStats & { rules?: number }) | null = null;
  private readonly notifications = new Map<string, number>();
  private readonly alertsRaised = new Map<string, number>();
  private readonly alertUpdates = new Map<string, number>();
  private readonly statusChanges = new Map<string, number>();
  private readonly events = new Map<string, number>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly deviceCounts: ScrapeMemo<{ organization: string; status: string; active: number; n: number }[]>;
  private readonly backlog: ScrapeMemo<Awaited<ReturnType<NonNullable<MetricsSources['outboxBacklog']>>> | null>;

  constructor(private readonly s: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    // prom-client's gauges named *_total break the convention (promtool says so); the same figures stay
    // available per type as nodejs_active_handles / _requests / _resources.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      r.removeSingleMetric(name);
    this.deviceCounts = new ScrapeMemo(SCRAPE_CACHE_MS, s.clock, () => this.queryDeviceCounts());
    this.backlog = new ScrapeMemo(SCRAPE_CACHE_MS, s.clock, async () =>
      s.outboxBacklog ? s.outboxBacklog(s.clock.now()) : null,
    );
    this.listen();

    gauge(r, 'fieldline_build_info', 'Fieldline version; always 1.', ['version', 'node_version'], (g) =>
      g.set({ version: s.version, node_version: process.version }, 1),
    );

    // Devices
    const memo = this.deviceCounts;
    gauge(
      r,
      'fieldline_devices',
      'Devices per organization and status (online, offline; inactive devices as status="inactive").',
      ['organization', 'status'],
      async (g) => {
        for (const row of await memo.getOr([]))
          g.inc({ organization: row.organization, status: row.active ? row.status : 'inactive' }, row.n);
      },
    );
    counter(r, 'fieldline_device_status_changes_total', 'Device status changes seen on this node.', ['status'], (c) =>
      addAll(c, 'status', this.statusChanges),
    );

    // MQTT
    gauge(r, 'fieldline_mqtt_connections', 'Open MQTT connections to the embedded broker on this node.', [], (g) =>
      g.set(s.broker()?.connections ?? 0),
    );
    counter(
      r,
      'fieldline_mqtt_messages_received_total',
      'MQTT messages routed, by topic family (native, thingsboard, sparkplug, unknown).',
      ['family'],
      (c) => addAll(c, 'family', Object.entries(s.mqttRouter.received)),
    );
    counter(
      r,
      'fieldline_mqtt_messages_sent_total',
      'MQTT messages delivered to subscribers by the embedded broker, by topic family.',
      ['family'],
      (c) => addAll(c, 'family', Object.entries(s.broker()?.messagesOutByFamily ?? {})),
    );
    counter(
      r,
      'fieldline_mqtt_publishes_total',
      'PUBLISH packets received by the embedded broker (before the ACL and routing).',
      [],
      (c) => c.inc(s.broker()?.messagesIn ?? 0),
    );

    // Telemetry
    const ic = s.ingest.counters;
    counter(r, 'fieldline_telemetry_points_ingested_total', 'Telemetry points committed, by source.', ['source'], (c) =>
      addAll(c, 'source', ic.pointsBySource),
    );
    counter(
      r,
      'fieldline_telemetry_messages_ingested_total',
      'Telemetry messages committed, by source.',
      ['source'],
      (c) => addAll(c, 'source', ic.messagesBySource),
    );
    counter(
      r,
      'fieldline_telemetry_messages_refused_total',
      'Telemetry messages refused, by reason.',
      ['reason'],
      (c) => addAll(c, 'reason', ic.refused),
    );
    gauge(r, 'fieldline_telemetry_batch_waiting_points', 'Points waiting for the next group commit.', [], (g) =>
      g.set(s.ingest.backlog),
    );
    r.registerMetric(ic.commitSeconds as Histogram<string>);
    r.registerMetric(ic.batchSize as Histogram<string>);

    // SQLite's checkpoint thread (all zero on PostgreSQL): a backlog that keeps growing means the WAL is not
    // being copied back into the database file fast enough.
    const ckpt = () => this.checkpoints?.() ?? null;
    counter(r, 'fieldline_sqlite_checkpoints_total', 'SQLite WAL checkpoints that had pages to copy.', [], (c) =>
      c.inc(ckpt()?.runs ?? 0),
    );
    gauge(r, 'fieldline_sqlite_wal_frames', 'Frames (pages) in the SQLite WAL at the last checkpoint.', [], (g) =>
      g.set(ckpt()?.walFrames ?? 0),
    );
    gauge(
      r,
      'fieldline_sqlite_wal_backlog_frames',
      'WAL frames not yet copied into the database file at the last checkpoint.',
      [],
      (g) => {
        const c = ckpt();
        g.set(c ? c.walFrames - c.checkpointedFrames : 0);
      },
    );
    gauge(
      r,
      'fieldline_sqlite_checkpoint_last_seconds',
      'How long the last SQLite checkpoint took, on its own thread.',
      [],
      (g) => g.set((ckpt()?.lastMs ?? 0) / 1000),
    );

    // Rules and alerts
    const ruleStats = () => this.rules?.() ?? { events: 0, points: 0, evaluations: 0, busyMs: 0 };
    counter(r, 'fieldline_rule_evaluations_total', 'Rule condition evaluations.', [], (c) =>
      c.inc(ruleStats().evaluations),
    );
    counter(
      r,
      'fieldline_rule_evaluation_seconds_total',
      'Time the rule engine spent evaluating telemetry events.',
      [],
      (c) => c.inc(ruleStats().busyMs / 1000),
    );
    counter(r, 'fieldline_rule_events_total', 'Telemetry events the rule engine evaluated.', [], (c) =>
      c.inc(ruleStats().events),
    );
    gauge(r, 'fieldline_rules_active', 'Enabled rules loaded in the rule engine on this node.', [], (g) =>
      g.set(this.rules?.().rules ?? 0),
    );
    counter(r, 'fieldline_alerts_raised_total', 'Alerts raised on this node, by severity.', ['severity'], (c) =>
      addAll(c, 'severity', this.alertsRaised, ['info', 'warning', 'critical']),
    );
    counter(
      r,
      'fieldline_alert_updates_total',
      'Alert changes on this node (acknowledged, resolved, escalated), by new status.',
      ['status'],
      (c) => addAll(c, 'status', this.alertUpdates),
    );
    gauge(r, 'fieldline_alerts_open', 'Open (active or acknowledged) alerts, by severity.', ['severity'], async (g) => {
      for (const sev of SEVERITIES) g.set({ severity: sev }, 0);
      const rows = await s.alertCounts.get('*', () => this.queryOpenAlerts()).catch(() => null);
      for (const row of rows ?? []) g.inc({ severity: severity(row.severity) }, row.n);
    });

    // Notifications
    counter(
      r,
      'fieldline_notifications_total',
      'Notification delivery attempts settled on this node, by channel and outcome (delivered, failed, dead).',
      ['channel', 'outcome'],
      (c) => {
        for (const [k, n] of this.notifications) {
          const [channel = 'other', outcome = 'other'] = k.split('|');
          c.inc({ channel, outcome }, n);
        }
      },
    );
    const backlog = this.backlog;
    gauge(
      r,
      'fieldline_notification_outbox_backlog',
      'Notifications in the outbox by status (pending, sending, failed = due again, dead).',
      ['status'],
      async (g) => {
        const b = await backlog.getOr(null);
        for (const st of ['pending', 'sending', 'failed', 'dead'] as const) g.set({ status: st }, b?.[st] ?? 0);
      },
    );
    gauge(
      r,
      'fieldline_notification_outbox_oldest_due_seconds',
      'How long the oldest due notification has waited.',
      [],
      async (g) => {
        const b = await backlog.getOr(null);
        g.set(b?.oldest_due_at ? Math.max(0, (s.clock.now() - b.oldest_due_at) / 1000) : 0);
      },
    );

    // Socket.IO
    gauge(r, 'fieldline_socketio_connections', 'Socket.IO connections on this node.', [], (g) =>
      g.set(this.socketIo?.().connections ?? 0),
    );

    // Caches
    const caches = () => s.caches.all();
    counter(
      r,
      'fieldline_cache_hits_total',
      'Cache lookups answered without loading, by cache and tier (local = in-process, redis).',
      ['cache', 'tier'],
      (c) => {
        for (const cache of caches()) {
          c.inc({ cache: cache.name, tier: 'local' }, cache.counters.hitsLocal);
          if (cache.spec.shared) c.inc({ cache: cache.name, tier: 'redis' }, cache.counters.hitsRemote);
        }
      },
    );
    counter(r, 'fieldline_cache_misses_total', 'Cache lookups that loaded from the database.', ['cache'], (c) => {
      for (const cache of caches()) c.inc({ cache: cache.name }, cache.counters.misses);
    });
    counter(
      r,
      'fieldline_cache_invalidations_total',
      'Cache keys dropped because of a change, by origin (local = this node, remote = another node).',
      ['cache', 'origin'],
      (c) => {
        for (const cache of caches()) {
          c.inc({ cache: cache.name, origin: 'local' }, cache.counters.invalidationsLocal);
          c.inc({ cache: cache.name, origin: 'remote' }, cache.counters.invalidationsRemote);
        }
      },
    );
    gauge(r, 'fieldline_cache_entries', 'Entries in the in-process tier of each cache.', ['cache'], (g) => {
      for (const cache of caches()) g.set({ cache: cache.name }, cache.size);
    });

    counter(r, 'fieldline_events_total', 'Domain events published on the in-process bus, by event.', ['event'], (c) =>
      addAll(c, 'event', this.events),
    );
  }

  /** The realtime gateway's connection count (RealtimeGateway.stats). */
  useSocketIo(source: () => { connections: number; authenticated?: number }): void {
    this.socketIo = source;
  }

  /** The SQLite checkpoint thread's figures (SqliteCheckpointer.stats); null on PostgreSQL. */
  useSqliteCheckpoints(source: () => CheckpointStats | null): void {
    this.checkpoints = source;
  }

  /** The rule engine's counters (RuleEngine.stats) and, optionally, how many rules it has loaded. */
  useRuleEngine(source: () => RuleEngineStats & { rules?: number }): void {
    this.rules = source;
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe.length = 0;
    this.registry.clear();
  }

  private listen(): void {
    const bus = this.s.bus;
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    const count =
      <K extends keyof FieldlineEvents>(event: K, more?: (e: FieldlineEvents[K]) => void) =>
      (e: FieldlineEvents[K]) => {
        bump(this.events, event);
        more?.(e);
      };
    this.unsubscribe.push(
      bus.on('telemetry.ingested', count('telemetry.ingested')),
      bus.on(
        'device.status',
        count('device.status', (e) => {
          bump(this.statusChanges, e.status);
          // Counts change only with status changes and device changes: the next scrape reads them afresh.
          this.deviceCounts.forget();
        }),
      ),
      bus.on(
        'device.updated',
        count('device.updated', () => this.deviceCounts.forget()),
      ),
      bus.on('command.updated', count('command.updated')),
      bus.on('audit.recorded', count('audit.recorded')),
      bus.on(
        'notification.updated',
        count('notification.updated', (e) => {
          if (e.status === 'delivered' || e.status === 'failed' || e.status === 'dead')
            bump(this.notifications, `${CHANNELS.has(e.channel) ? e.channel : 'other'}|${e.status}`);
        }),
      ),
      bus.on(
        'alert.raised',
        count('alert.raised', (e) => {
          bump(this.alertsRaised, severity(e.alert.severity));
        }),
      ),
      bus.on(
        'alert.updated',
        count('alert.updated', (e) => {
          bump(
            this.alertUpdates,
            ['active', 'acknowledged', 'resolved'].includes(e.alert.status) ? e.alert.status : 'other',
          );
        }),
      ),
    );
  }

  private async queryDeviceCounts() {
    const rows = await this.s.db
      .selectFrom('devices as d')
      .innerJoin('organizations as o', 'o.id', 'd.organization_id')
      .select(['o.slug as organization', 'd.status', 'd.active', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['o.slug', 'd.status', 'd.active'])
      .execute();
    return rows.map((r) => ({
      organization: r.organization,
      status: r.status,
      active: Number(r.active),
      n: Number(r.n),
    }));
  }

  /** Open alerts by severity, over every organization. */
  private async queryOpenAlerts(): Promise<{ severity: string; n: number }[]> {
    const rows = await this.s.db
      .selectFrom('alerts')
      .select(['severity', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '<>', 'resolved')
      .groupBy('severity')
      .execute();
    return rows.map((r) => ({ severity: String(r.severity), n: Number(r.n) }));
  }
}

type Labels = Record<string, string>;

function gauge(
  r: Registry,
  name: string,
  help: string,
  labelNames: string[],
  fill: (g: Gauge<string>) => void | Promise<void>,
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [r],
    async collect() {
      this.reset();
      await fill(this);
    },
  });
}

function counter(
  r: Registry,
  name: string,
  help: string,
  labelNames: string[],
  fill: (c: Counter<string>) => void | Promise<void>,
): void {
  // Counters are kept as plain numbers by their owners (cheap on hot paths) and copied in at scrape time.
  new Counter({
    name,
    help,
    labelNames,
    registers: [r],
    async collect() {
      this.reset();
      await fill(this);
    },
  });
}

/** Adds every (label value → count), and zero for the values named in `always` (so the series exist). */
function addAll(
  c: Counter<string>,
  label: string,
  values: Iterable<[string, number]>,
  always: readonly string[] = [],
): void {
  const seen = new Set<string>();
  for (const [value, n] of values) {
    seen.add(value);
    c.inc({ [label]: value } as Labels, n);
  }
  for (const value of always) if (!seen.has(value)) c.inc({ [label]: value } as Labels, 0);
}
