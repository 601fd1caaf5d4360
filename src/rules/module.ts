import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { AlertLifecycle, type AlertPublisher, AlertStore } from '../alerts/index.js';
import type { DeviceRegistry, DeviceStore, PresenceTracker } from '../devices/index.js';
import type { Clock, EventBus, FieldlineEvents, Lifecycle, Logger } from '../kernel/index.js';
import type { Notifier } from '../notify/index.js';
import type { SecretBox } from '../secrets/index.js';
import type { Database } from '../storage/index.js';
import type { TelemetryQuery } from '../telemetry/index.js';
import { type FactSource, RuleEngine, type ScopeDevice } from './engine.js';
import type { RuleTarget } from './model.js';
import { RuleService } from './service.js';
import { DEFAULT_MAX_WINDOW_POINTS } from './sliding-window.js';
import { RuleStore } from './store.js';

export interface RulesModuleDeps {
  db: Kysely<Database>;
  /** The raw SQLite handle on the embedded default (a faster path for raising alerts); null on PostgreSQL. */
  sqlite?: SQLite.Database | null;
  clock: Clock;
  log: Logger;
  bus: EventBus<FieldlineEvents>;
  /** Seals action secrets (webhook auth, ntfy tokens) at rest. */
  box: SecretBox;
  registry: DeviceRegistry;
  deviceStore: DeviceStore;
  presence: PresenceTracker;
  telemetry: TelemetryQuery;
  /** The notifications outbox; null leaves alerts without email/webhook (tests of the engine alone). */
  notifier: Pick<Notifier, 'enqueueAlertNotifications'> | null;
  /** Publishes on `{prefix}/alerts/{device_id}` (embedded broker or external bridge); null without MQTT. */
  publishAlert: AlertPublisher | null;
  /**
   * Cross-node rule changes (the `rules` cache of the cache layer): a change here is announced by rule id, and
   * a change announced by another node reloads that rule from the database. Absent on a single node.
   */
  changes?: {
    invalidate(...keys: string[]): Promise<void>;
    onInvalidate(listener: (keys: readonly string[] | null, origin: 'local' | 'remote') => void): () => void;
  };
}

const PAGE = 1000;

/**
 * Rules and alerts, wired: the engine on the bus, the rule service the API uses, the alert lifecycle with its
 * follow-ups. start() loads enabled rules with their open alerts and running durations (before the broker
 * and the HTTP server take traffic); stop() clears every timer and waits for alert writes in flight.
 */
export class RulesModule implements Lifecycle {
  readonly name = 'rules';
  readonly store: RuleStore;
  readonly alertStore: AlertStore;
  readonly engine: RuleEngine;
  readonly alerts: AlertLifecycle;
  readonly rules: RuleService;
  readonly facts: FactSource;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly d: RulesModuleDeps) {
    this.store = new RuleStore(d.db);
    this.alertStore = new AlertStore(d.db, d.sqlite ?? null);
    this.facts = factSource(d);
    const log = d.log.child({ component: 'rules' });
    this.alerts = new AlertLifecycle({
      store: this.alertStore,
      clock: d.clock,
      log,
      bus: d.bus,
      notifier: d.notifier,
      publish: d.publishAlert,
      device: async (id) => {
        const ref = await d.registry.byDeviceId(id);
        return ref ? { name: ref.name, deviceType: ref.deviceType } : null;
      },
      ruleOf: (org, id) => this.engine.rule(org, id),
      onClosed: (org, ruleId, deviceId, alertId) => this.engine.alertClosed(org, ruleId, deviceId, alertId),
    });
    this.engine = new RuleEngine({
      clock: d.clock,
      log,
      alerts: this.alerts,
      facts: this.facts,
      pending: this.store.pendingStore,
    });
    this.rules = new RuleService({
      store: this.store,
      engine: this.engine,
      facts: this.facts,
      box: d.box,
      clock: d.clock,
      log,
      announce: (id) =>
        d.changes
          ?.invalidate(id)
          .catch((err: unknown) => log.warn({ err, rule_id: id }, 'announcing a rule change failed')),
      alerts: {
        openOf: async (ruleId) =>
          new Map((await this.alertStore.openOfRule(ruleId)).map((a) => [a.device_id, a.id] as const)),
        closeForRule: async (ruleId) => this.alerts.closeAll(await this.alertStore.openOfRule(ruleId), 'rule deleted'),
        replan: async (ruleId, org) => {
          const rule = this.engine.rule(org, ruleId);
          if (rule) await this.alerts.replan(rule);
        },
      },
      device: async (org, id) => {
        const ref = await d.registry.byDeviceId(id);
        if (!ref || ref.organizationId !== org) return null;
        const row = await d.deviceStore.byId(id);
        return {
          id,
          name: ref.name,
          deviceType: ref.deviceType,
          lastSeen: lastSeen(d.presence, id, row?.last_seen ?? null),
          status: d.presence.statusOf(id) ?? (row?.status === 'online' ? 'online' : 'offline'),
        };
      },
    });
  }

  async start(): Promise<void> {
    const { bus } = this.d;
    this.unsubscribe.push(
      bus.on('telemetry.ingested', (e) => this.engine.onTelemetry(e)),
      bus.on('device.status', (e) => this.engine.onDeviceStatus(e)),
      bus.on('device.updated', async (e) => {
        this.alerts.forgetDevice(e.device_id);
        await this.engine.onDeviceChanged(e);
        if (e.action !== 'deleted') return;
        await this.store.forgetDevice(e.device_id);
        await this.alerts.closeAll(await this.alertStore.openOfDevice(e.device_id), 'device deleted');
      }),
    );
    const changes = this.d.changes;
    if (changes)
      this.unsubscribe.push(
        changes.onInvalidate((keys, origin) => {
          if (origin !== 'remote') return;
          this.rules
            .reload(keys)
            .catch((err: unknown) => this.d.log.error({ err }, 'reloading rules changed on another node failed'));
        }),
      );
    const [pending, open] = await Promise.all([this.store.pending(), this.alertStore.open()]);
    const loaded = await this.rules.start(pending, open);
    await this.alerts.restore(open);
    this.d.log.info({ rules: loaded, open_alerts: open.length }, 'rule engine started');
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.engine.stop();
    await this.alerts.stop();
  }
}

/** When the device was last heard from: this node's presence is ahead of the row by up to a tick. */
function lastSeen(presence: PresenceTracker, id: string, stored: number | null): number | null {
  const live = presence.lastSeenOf(id);
  return live !== undefined && live > (stored ?? 0) ? live : stored;
}

/** The engine's view of devices, presence and stored telemetry. */
function factSource(d: RulesModuleDeps): FactSource {
  const scope = (row: {
    id: string;
    device_type: string;
    active: number;
    status: string;
    last_seen: number | null;
  }): ScopeDevice => ({
    id: row.id,
    deviceType: row.device_type,
    active: row.active === 1,
    status: d.presence.statusOf(row.id) ?? (row.status === 'online' ? 'online' : 'offline'),
    lastSeen: lastSeen(d.presence, row.id, row.last_seen),
  });
  return {
    async devicesInScope(organizationId: string, target: RuleTarget) {
      if (target.kind === 'device') {
        const row = await d.deviceStore.byId(target.deviceId);
        return row && row.organization_id === organizationId ? [scope(row)] : [];
      }
      const out: ScopeDevice[] = [];
      let after: string | undefined;
      for (;;) {
        const rows = await d.deviceStore.list({
          organizationId,
          ...(target.kind === 'type' ? { deviceType: target.deviceType } : {}),
          ...(after ? { after } : {}),
          limit: PAGE,
        });
        out.push(...rows.map(scope));
        if (rows.length < PAGE) return out;
        after = rows[rows.length - 1]?.id;
      }
    },
    async deviceType(id) {
      return (await d.registry.byDeviceId(id))?.deviceType ?? null;
    },
    async latest(deviceId, keys) {
      return d.telemetry.latest(deviceId, keys);
    },
    async history(deviceId, key, start, end) {
      // Past the limit, the range answers the newest points: the end of the window, which is what a rule judges.
      const { series } = await d.telemetry.range({
        deviceId,
        keys: [key],
        start,
        end,
        limit: DEFAULT_MAX_WINDOW_POINTS,
      });
      return series[key] ?? [];
    },
    statusOf: (id) => d.presence.statusOf(id),
  };
}
