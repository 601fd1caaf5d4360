import type { Clock, Lifecycle, Logger } from '../kernel/index.js';
import type { SharedActionExecutors } from './action-executors.js';
import { connectionKey } from './mqtt/client-options.js';
import { MqttIntegrationConnection } from './mqtt/connection.js';
import { SubscriptionRouter, type SubscriptionSpec } from './mqtt/subscription-router.js';
import type { IntegrationRow, IntegrationStore, SubscriptionRow } from './store.js';
import type { SubscriptionCounters } from './subscription-counters.js';
import type { ConnectionStatus, MqttIntegrationConfig, Qos, SubscriptionAction } from './types.js';

export interface MqttRuntimeDeps {
  store: IntegrationStore;
  counters: SubscriptionCounters;
  executors: SharedActionExecutors;
  clock: Clock;
  log: Logger;
  /** The configuration with its secrets, opened. */
  configOf: (row: IntegrationRow) => MqttIntegrationConfig;
  /** This node's suffix for default client ids (several nodes must not share one). */
  nodeId: string;
  onStatus: (status: ConnectionStatus) => void;
  /** How often to look for changes made by other nodes (ms). */
  reconcileMs: number;
  /** How often to write the counters (ms). */
  flushMs: number;
}

interface Running {
  organizationId: string;
  updatedAt: number;
  key: string;
  connection: MqttIntegrationConnection;
  router: SubscriptionRouter;
  /** Messages counted at the last flush, to tell whether the integration synced since. */
  flushedMessages: number;
}

export const subscriptionSpec = (r: SubscriptionRow): SubscriptionSpec => ({
  id: r.id,
  topic: r.topic,
  enabled: r.enabled === 1,
  qos: r.qos === null ? null : (r.qos as Qos),
  actions: JSON.parse(r.actions) as SubscriptionAction[],
});

/**
 * Runs the MQTT integrations: one connection each for every active one, started with the app and stopped with
 * it. A change (configuration, status, a subscription) is applied at once on the node that made it, and within
 * reconcileMs on the others (they compare updated_at). A broker setting change means a new connection; a topic
 * or subscription change only (un)subscribes on the live one.
 */
export class MqttRuntime implements Lifecycle {
  readonly name = 'integrations-mqtt';
  private readonly running = new Map<string, Running>();
  private readonly queues = new Map<string, Promise<void>>();
  private reconcileTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(private readonly d: MqttRuntimeDeps) {}

  async start(): Promise<void> {
    this.stopped = false;
    const rows = await this.d.store.running('mqtt');
    await Promise.all(rows.map((r) => this.apply(r.id, r)));
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.d.reconcileMs);
    this.reconcileTimer.unref();
    this.flushTimer = setInterval(() => void this.flush(), this.d.flushMs);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.reconcileTimer = this.flushTimer = null;
    await Promise.allSettled([...this.queues.values()]);
    await Promise.allSettled([...this.running.values()].map((r) => r.connection.stop()));
    this.running.clear();
    await this.flush();
  }

  /** Applies the stored state of one integration now (after a change on this node). */
  changed(id: string): Promise<void> {
    return this.enqueue(id, async () => this.applyNow(id, (await this.d.store.byId(id)) ?? null));
  }

  status(id: string): ConnectionStatus | null {
    return this.running.get(id)?.connection.status() ?? null;
  }

  connection(id: string): MqttIntegrationConnection | null {
    return this.running.get(id)?.connection ?? null;
  }

  /** Writes the counters and each integration's last message time. */
  async flush(): Promise<void> {
    try {
      await this.d.counters.flush((deltas) => this.d.store.addCounters(deltas));
    } catch (err) {
      this.d.log.warn({ err }, 'writing integration counters failed; retrying later');
    }
    for (const [id, r] of this.running) {
      const n = r.connection.messagesReceived;
      if (n === r.flushedMessages) continue;
      r.flushedMessages = n;
      await this.d.store.setHealth(id, { last_sync_at: this.d.clock.now() }).catch(() => undefined);
      this.d.onStatus(r.connection.status());
    }
  }

  private apply(id: string, row: IntegrationRow | null): Promise<void> {
    return this.enqueue(id, () => this.applyNow(id, row));
  }

  /** One change at a time per integration, in order. */
  private enqueue(id: string, work: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(id) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.d.log.error({ err, integration_id: id }, 'applying an integration change failed');
    });
    this.queues.set(id, next);
    void next.finally(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    });
    return next;
  }

  private async applyNow(id: string, row: IntegrationRow | null): Promise<void> {
    const current = this.running.get(id);
    if (this.stopped || !row || row.type !== 'mqtt' || row.status === 'inactive') {
      if (current) {
        this.running.delete(id);
        await current.connection.stop();
      }
      return;
    }
    const config = this.d.configOf(row);
    const specs = (await this.d.store.subscriptions(id)).map(subscriptionSpec);
    const router = new SubscriptionRouter(
      id,
      row.organization_id,
      config.topics ?? {},
      specs,
      this.d.counters,
      {
        ingest: (t, m, msg) => this.d.executors.ingest(t, m, msg),
        forward: (t, a, msg) => this.d.executors.forward(t, a, msg),
        republish: (topic, payload, qos, retain) =>
          this.connection(id)?.publish(topic, payload, qos, retain) ?? Promise.reject(new Error('not running')),
      },
      () => this.d.clock.now(),
    );
    const clientId = config.broker.client_id ?? `fieldline-${id.replace(/-/g, '').slice(-12)}-${this.d.nodeId}`;
    const key = connectionKey(config, clientId);
    if (current && current.key === key) {
      current.router = router;
      current.updatedAt = Number(row.updated_at);
      current.connection.setFilters(router.filters());
      return;
    }
    // Broker settings changed: a new connection with them (the old one drains its messages first).
    if (current) {
      this.running.delete(id);
      await current.connection.stop();
    }
    const entry: Running = {
      organizationId: row.organization_id,
      updatedAt: Number(row.updated_at),
      key,
      router,
      flushedMessages: 0,
      connection: new MqttIntegrationConnection(config, {
        integrationId: id,
        organizationId: row.organization_id,
        clientId,
        // Through the entry, so a new router (a subscription change) takes the next message.
        sink: (topic, payload, packet) => entry.router.handle(topic, payload, packet),
        log: this.d.log.child({ integration_id: id }),
        now: () => this.d.clock.now(),
        onStatus: (s) => this.d.onStatus(s),
      }),
    };
    this.running.set(id, entry);
    entry.connection.start(router.filters());
  }

  /** Picks up changes made on other nodes: new, changed, deactivated and deleted integrations. */
  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    let versions: Map<string, { updated_at: number; status: string }>;
    try {
      versions = await this.d.store.versions('mqtt');
    } catch (err) {
      this.d.log.warn({ err }, 'checking integrations for changes failed');
      return;
    }
    for (const id of this.running.keys()) if (!versions.has(id)) void this.changed(id);
    for (const [id, v] of versions) {
      const r = this.running.get(id);
      const shouldRun = v.status !== 'inactive';
      if ((r && r.updatedAt !== v.updated_at) || (!r && shouldRun) || (r && !shouldRun)) void this.changed(id);
    }
  }
}
