import type { Kysely } from 'kysely';
import type { Principal } from '../auth/index.js';
import type { CommandTransport } from '../commands/index.js';
import type { DeviceRegistry } from '../devices/index.js';
import {
  type Clock,
  type EventBus,
  type FieldlineEvents,
  type Lifecycle,
  type Logger,
  toIsoOrNull,
} from '../kernel/index.js';
import type { NotificationsModule } from '../notify/index.js';
import type { SecretBox } from '../secrets/index.js';
import type { Database } from '../storage/index.js';
import type { IngestService } from '../telemetry/index.js';
import { SharedActionExecutors } from './action-executors.js';
import { GoliothCommandTransport } from './golioth/command-transport.js';
import { GoliothService } from './golioth/service.js';
import { MqttRuntime } from './mqtt-runtime.js';
import { IntegrationService } from './service.js';
import { type IntegrationRow, IntegrationStore } from './store.js';
import { SubscriptionCounters } from './subscription-counters.js';
import { SubscriptionService } from './subscriptions.js';
import type { ConnectionStatus, GoliothIntegrationConfig, MqttIntegrationConfig } from './types.js';
import { connectionStatusView, integrationView } from './views.js';

export interface IntegrationsDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  bus: EventBus<FieldlineEvents>;
  /** The credentials box (same keys as notifications): seals passwords, keys and tokens at rest. */
  box: SecretBox;
  devices: DeviceRegistry;
  ingest: IngestService;
  notifications: NotificationsModule;
  /** This node's id (nodeClientId): default MQTT client ids carry a suffix of it, so nodes do not collide. */
  nodeId: string;
  publicUrl: string | null;
  /** Socket.IO: sends `integration_status` to the organization's room. */
  broadcast?: (organizationId: string, payload: Record<string, unknown>) => void;
  /** How often to pick up changes made on other nodes (default 5 s). */
  reconcileMs?: number;
  /** How often counters are written (default 2 s). */
  flushMs?: number;
}

/**
 * Integrations, wired: the store and services behind the HTTP routes, the MQTT runtime (one client per active
 * MQTT integration, started with the app, stopped cleanly with it), webhook integrations as notification
 * targets, and Golioth (inbound webhook, REST API, commands as RPC).
 */
export class IntegrationsModule implements Lifecycle {
  readonly name = 'integrations';
  readonly store: IntegrationStore;
  readonly service: IntegrationService;
  readonly subscriptions: SubscriptionService;
  readonly counters = new SubscriptionCounters();
  readonly mqtt: MqttRuntime;
  readonly golioth: GoliothService;
  private readonly health = new Map<string, string>();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly d: IntegrationsDeps) {
    this.store = new IntegrationStore(d.db);
    this.service = new IntegrationService(this.store, d.box, d.clock);
    const executors = new SharedActionExecutors({
      devices: d.devices,
      ingest: d.ingest,
      notifications: d.notifications,
      store: this.store,
      clock: d.clock,
      log: d.log,
    });
    this.mqtt = new MqttRuntime({
      store: this.store,
      counters: this.counters,
      executors,
      clock: d.clock,
      log: d.log.child({ component: 'integrations' }),
      configOf: (row) => this.service.fullConfig(row) as unknown as MqttIntegrationConfig,
      nodeId: d.nodeId.replace(/^fieldline-/, '').slice(0, 8),
      onStatus: (s) => this.onStatus(s),
      reconcileMs: d.reconcileMs ?? 5_000,
      flushMs: d.flushMs ?? 2_000,
    });
    this.subscriptions = new SubscriptionService(this.store, this.service, this.counters, d.clock, (id) =>
      this.mqtt.changed(id),
    );
    this.golioth = new GoliothService({
      store: this.store,
      devices: d.devices,
      ingest: d.ingest,
      guard: d.notifications.guard,
      clock: d.clock,
      log: d.log.child({ component: 'golioth' }),
      configOf: (row) => this.service.fullConfig(row) as unknown as GoliothIntegrationConfig,
    });
  }

  async start(): Promise<void> {
    await this.golioth.start();
    await this.mqtt.start();
    this.unsubscribe.push(
      this.d.bus.on('notification.updated', (e) => {
        if (e.channel === 'webhook' && (e.status === 'delivered' || e.status === 'failed' || e.status === 'dead'))
          void this.onWebhookSettled(e.id, e.status, e.error);
      }),
      this.d.bus.on('device.updated', (e) => {
        if (e.action === 'deleted') this.golioth.forgetDevice(e.device_id);
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.mqtt.stop();
    await this.golioth.stop();
  }

  /** Applies a change of an integration (configuration, status, deletion) on this node at once. */
  changed(id: string): Promise<void> {
    return this.mqtt.changed(id);
  }

  resolveWebhook = (organizationId: string, id: string) => this.service.resolveWebhook(organizationId, id);

  /** An integration as answers show it: secrets masked, health at a glance, the live connection (MQTT). */
  view(row: IntegrationRow) {
    return integrationView(row, this.service.maskedConfig(row), this.mqtt.status(row.id), this.webhookUrl(row));
  }

  /** Sends one signed test delivery to a webhook configuration now (SSRF-guarded, like every delivery). */
  testWebhook(p: Principal, config: Record<string, unknown>) {
    return this.d.notifications.notifier.sendTest(p.organizationId, 'webhook', config, p.name);
  }

  /** Where Golioth must send its webhook for this integration. */
  webhookUrl(row: IntegrationRow): string | null {
    if (row.type !== 'golioth') return null;
    const path = `/api/v1/integrations/${row.id}/golioth/webhook`;
    return this.d.publicUrl ? `${this.d.publicUrl.replace(/\/$/, '')}${path}` : path;
  }

  /** Wraps the broker command transport: commands to Golioth devices go out as Golioth RPC. */
  commandTransport(
    inner: CommandTransport | null,
    answer: (deviceId: string, commandId: string, payload: Buffer) => Promise<void>,
  ): CommandTransport {
    return new GoliothCommandTransport(inner, {
      golioth: this.golioth,
      integration: (id) => this.store.byId(id),
      rpcTimeoutS: (row) => (this.service.fullConfig(row) as unknown as GoliothIntegrationConfig).rpc_timeout_s ?? 10,
      answer,
      log: this.d.log.child({ component: 'golioth' }),
    });
  }

  /** A connection changed state: the row's health (when it changed), and `integration_status` to the organization. */
  private onStatus(s: ConnectionStatus): void {
    this.d.broadcast?.(s.organization_id, {
      ...connectionStatusView(s),
      type: 'mqtt',
      at: toIsoOrNull(this.d.clock.now()),
    });
    // A stopped connection is being replaced (a new broker setting) or ended (inactive, deleted): nothing to record.
    if (s.state === 'stopped') {
      this.health.delete(s.integration_id);
      return;
    }
    const failing = !s.connected && s.connection_error !== null;
    const health = { sync_status: s.state, error_message: s.connection_error, status: failing ? 'error' : 'active' };
    const key = JSON.stringify(health);
    if (this.health.get(s.integration_id) === key) return;
    this.health.set(s.integration_id, key);
    // Only an integration the user left on is marked failing or recovered; inactive stays inactive.
    void this.store
      .setHealth(s.integration_id, health, ['active', 'error'])
      .catch((err: unknown) => this.d.log.warn({ err }, 'recording integration health failed'));
  }

  /** A webhook notification settled: if it went to a webhook integration, that integration's health follows. */
  private async onWebhookSettled(notificationId: string, status: string, error: string | null): Promise<void> {
    try {
      const row = await this.d.db
        .selectFrom('notification_outbox')
        .select(['target', 'organization_id'])
        .where('id', '=', notificationId)
        .executeTakeFirst();
      const integrationId = row ? (JSON.parse(row.target) as { integration_id?: unknown }).integration_id : undefined;
      if (typeof integrationId !== 'string') return;
      const delivered = status === 'delivered';
      await this.store.setHealth(
        integrationId,
        {
          sync_status: status,
          error_message: delivered ? null : (error ?? 'delivery failed'),
          ...(delivered ? { last_sync_at: this.d.clock.now(), status: 'active' } : { status: 'error' }),
        },
        ['active', 'error'],
      );
    } catch (err) {
      this.d.log.warn({ err }, 'recording webhook integration health failed');
    }
  }
}
