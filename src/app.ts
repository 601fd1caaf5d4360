import type { AddressInfo } from 'node:net';
import { alertFigures, registerAlertRoutes } from './alerts/index.js';
import { AuditLog, registerAuditRoutes } from './audit/index.js';
import {
  AccountService,
  Authenticator,
  AuthStore,
  type BootstrapResult,
  bootstrapFirstAdmin,
  installAuthGuard,
  LoginLimiter,
  registerApiKeyRoutes,
  registerAuthRoutes,
  registerOrganizationRoutes,
  registerUserRoutes,
  TokenService,
} from './auth/index.js';
import { CACHE_SPECS, CacheLayer, wireCacheInvalidation } from './cache/index.js';
import {
  CommandService,
  CommandStore,
  EmbeddedCommandTransport,
  ExternalCommandTransport,
  registerCommandRoutes,
} from './commands/index.js';
import type { Config } from './config.js';
import { DeviceRegistry, DeviceStore, PresenceTracker } from './devices/index.js';
import { registerDeviceRoutes } from './devices/routes.js';
import { createHttpServer, type Http } from './http/server.js';
import { locateWebUi, type WebUiLocation } from './http/web-ui.js';
import { IntegrationsModule, registerIntegrationRoutes } from './integrations/index.js';
import { type Clock, createLogger, EventBus, type FieldlineEvents, type Logger, systemClock } from './kernel/index.js';
import {
  closeRevokedApiKeySessions,
  closeRevokedDeviceSessions,
  EmbeddedBroker,
  ExternalBrokerBridge,
  MqttCredentials,
  MqttMessageRouter,
  nodeClientId,
  SparkplugIngest,
  TopicAcl,
  TopicScheme,
} from './mqtt/index.js';
import {
  NotificationsModule,
  type Resolver,
  registerNotificationRoutes,
  type WebhookEndpoint,
} from './notify/index.js';
import { fieldlineDashboardProvider, registerGrafanaRoutes } from './observability/grafana/index.js';
import {
  FieldlineMetrics,
  HealthRegistry,
  installHttpMetrics,
  redisHealthCheck,
  registerHealthRoutes,
  registerMetricsRoute,
  ruleEngineHealthCheck,
} from './observability/index.js';
import { RealtimeGateway } from './realtime/index.js';
import { RulesModule, registerRuleRoutes } from './rules/index.js';
import { Keyring, resolveSecretKey, SecretBox } from './secrets/index.js';
import { registerStackRoutes, StackBuilder } from './stack/index.js';
import { openStorage, SqliteCheckpointer, type Storage } from './storage/index.js';
import {
  IngestCounters,
  IngestService,
  type PointWriter,
  PostgresPointWriter,
  RetentionSweeper,
  registerTelemetryRoutes,
  SqliteThreadWriter,
  TelemetryQuery,
} from './telemetry/index.js';
import { VERSION } from './version.js';

export interface AppOptions {
  logger?: Logger;
  clock?: Clock;
  /** DNS for outbound webhook/ntfy/SMTP hosts chosen by users (tests inject one to play a hostile resolver). */
  resolver?: Resolver;
  /** The folder of the built web UI; default dist/web of the package (tests point it elsewhere). */
  webRoot?: string;
}

export interface StartResult {
  httpUrl: string;
  bootstrap: BootstrapResult;
}

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly http: Http;
  /** The browser UI served at `/`, and whether it is built. */
  readonly webUi: WebUiLocation;
  readonly storage: Storage;
  readonly bus: EventBus<FieldlineEvents>;
  readonly accounts: AccountService;
  readonly authStore: AuthStore;
  readonly authenticator: Authenticator;
  readonly tokens: TokenService;
  readonly audit: AuditLog;
  readonly health: HealthRegistry;
  /** Caches (in-process, in front of Redis when FIELDLINE_REDIS_URL is set) with cross-node invalidation. */
  readonly caches: CacheLayer;
  /** Prometheus metrics served at /metrics. */
  readonly metrics: FieldlineMetrics;
  readonly devices: DeviceRegistry;
  readonly presence: PresenceTracker;
  readonly ingest: IngestService;
  readonly telemetry: TelemetryQuery;
  readonly retention: RetentionSweeper;
  readonly topics: TopicScheme;
  readonly mqttRouter: MqttMessageRouter;
  /** The embedded broker; null when FIELDLINE_MQTT_URL points at an external one. */
  readonly broker: EmbeddedBroker | null;
  /** The bridge to the external broker of FIELDLINE_MQTT_URL; null with the embedded broker. */
  readonly bridge: ExternalBrokerBridge | null;
  readonly commands: CommandService;
  readonly notifications: NotificationsModule;
  /** Socket.IO at /socket.io/ on the HTTP port. */
  readonly realtime: RealtimeGateway;
  readonly integrations: IntegrationsModule;
  /** The rule engine, the rule service and the alert lifecycle. */
  readonly rules: RulesModule;
  /** Base URL of the HTTP server once started. */
  readonly httpUrl: string | null;
  start(): Promise<StartResult>;
  stop(): Promise<void>;
}

/**
 * Builds and wires every module of Fieldline for one configuration. Nothing listens or connects until
 * start(); stop() drains and closes everything, in the reverse order.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const bus = new EventBus<FieldlineEvents>(log);
  const storage = openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const keyring = new Keyring(resolveSecretKey(config.secretKey, config.dataDir).secret);
  const caches = new CacheLayer({ redisUrl: config.redisUrl, clock, log });

  const tokens = new TokenService(keyring.derive('jwt'), config.tokenTtlSeconds, () => clock.now());
  const authStore = new AuthStore(storage.db);
  const authenticator = new Authenticator(authStore, tokens, clock, caches);
  const accounts = new AccountService(authStore, tokens, clock);
  const audit = new AuditLog(storage.db, clock, log, bus);
  const limiter = new LoginLimiter(clock);
  const health = new HealthRegistry(VERSION, clock);
  health.register({
    name: 'database',
    required: true,
    check: async () => {
      await storage.ping();
      return { status: 'up', dialect: storage.dialect };
    },
  });

  const deviceStore = new DeviceStore(storage.db, storage.dialect);
  const devices = new DeviceRegistry(deviceStore, clock, bus, caches);
  const presence = new PresenceTracker(deviceStore, bus, clock, log);
  // The writer is created at start(), after migrations made its tables and statements preparable.
  let writer: PointWriter | null = null;
  let checkpointer: SqliteCheckpointer | null = null;
  const lazyWriter: PointWriter = {
    write: (items) => (writer as PointWriter).write(items),
    forgetDevice: (id) => writer?.forgetDevice(id),
    close: async () => writer?.close(),
  };
  devices.onDeleted((id) => lazyWriter.forgetDevice(id));
  const ingest = new IngestService(lazyWriter, devices, presence, bus, new IngestCounters(), log);
  const telemetry = new TelemetryQuery(storage.db, caches.cache(CACHE_SPECS.latest), storage.dialect === 'sqlite');
  wireCacheInvalidation(bus, caches);
  if (config.redisUrl) health.register(redisHealthCheck(() => caches.redisHealth()));
  const retention = new RetentionSweeper(storage.db, storage.dialect, clock, log);
  // Credentials at rest (SMTP passwords, webhook and integration secrets): the current key seals, previous
  // keys (FIELDLINE_SECRET_KEY_PREVIOUS) still open what `fieldline secrets rotate` has not re-sealed yet.
  const credentials = SecretBox.forCredentials(
    keyring,
    config.secretKeyPrevious.map((k) => new Keyring(k)),
  );
  const notifications = new NotificationsModule({
    config,
    db: storage.db,
    dialect: storage.dialect,
    clock,
    log,
    bus,
    box: credentials,
    resolveIntegration: (organizationId: string, id: string): Promise<WebhookEndpoint | null> =>
      integrations.resolveWebhook(organizationId, id),
    ...(options.resolver ? { resolver: options.resolver } : {}),
    organizationName: async (id) => (await authStore.organizationById(id))?.name ?? id,
    alertFigures: alertFigures(storage.db),
    deviceLookup: async (id) => {
      const d = await deviceStore.byId(id);
      return d ? { name: d.name, last_seen: d.last_seen } : null;
    },
  });
  health.register(notifications.healthCheck());

  const topics = new TopicScheme(config.topicPrefix);
  const sparkplug = new SparkplugIngest(devices, ingest, presence, log.child({ component: 'sparkplug' }));
  const mqttRouter = new MqttMessageRouter(topics, ingest, devices, presence, {
    sparkplug: (identity, topic, payload) => sparkplug.handle(identity, topic, payload),
  });

  const metrics = new FieldlineMetrics({
    version: VERSION,
    clock,
    db: storage.db,
    bus,
    ingest,
    caches,
    alertCounts: caches.cache(CACHE_SPECS.alertCounts),
    broker: () => broker?.stats ?? null,
    mqttRouter,
    outboxBacklog: (now) => notifications.store.backlog(now),
  });
  const webUi = locateWebUi(options.webRoot);
  const http = await createHttpServer({ log, bodyLimit: config.httpBodyLimit, version: VERSION, webUi });
  installHttpMetrics(http, metrics);
  const broker =
    config.mqttUrl === null
      ? new EmbeddedBroker(
          {
            host: config.httpHost,
            port: config.mqttPort === 0 ? null : config.mqttPort,
            tlsPort: config.mqttsPort,
            tlsCert: config.tlsCert,
            tlsKey: config.tlsKey,
            maxPacketSize: config.mqttMaxPacketSize,
            httpServer: http.server,
          },
          new MqttCredentials(devices, authenticator),
          new TopicAcl(topics),
          mqttRouter,
          presence,
          ingest,
          log.child({ component: 'mqtt' }),
        )
      : null;
  /** Stops the re-checks of MQTT connections' credentials. */
  const sessionChecks: (() => void)[] = [];
  if (broker) {
    sparkplug.publisher = (orgId, topic, payload) => broker.publish(orgId, topic, payload, 0);
    sessionChecks.push(
      closeRevokedDeviceSessions(devices, broker, log.child({ component: 'mqtt' })),
      closeRevokedApiKeySessions(authenticator, broker, log.child({ component: 'mqtt' })),
    );
    health.register({
      name: 'mqtt',
      required: true,
      check: async () => ({ status: 'up', mode: 'embedded', port: broker.port, connections: broker.stats.connections }),
    });
  }
  const commands = new CommandService(
    new CommandStore(storage.db),
    devices,
    deviceStore,
    topics,
    bus,
    clock,
    log.child({ component: 'commands' }),
  );
  mqttRouter.extensions.commandResponse = (device, key, payload, family) =>
    commands.answer(device, key, payload, family);
  if (broker) commands.transport = new EmbeddedCommandTransport(broker, presence, bus);
  const bridge =
    config.mqttUrl === null
      ? null
      : new ExternalBrokerBridge(
          { url: config.mqttUrl, clientId: nodeClientId(config.dataDir) },
          topics,
          mqttRouter,
          devices,
          ingest,
          log.child({ component: 'mqtt-bridge' }),
        );
  if (bridge) {
    commands.transport = new ExternalCommandTransport(bridge, presence, bus);
    sparkplug.publisher = (orgId, topic, payload) => bridge.publish(orgId, topic, payload, 0);
    health.register({ name: 'mqtt', required: true, check: async () => bridge.health() });
  }
  // The rule engine consumes telemetry.ingested; alerts go to the bus, the outbox and MQTT `{prefix}/alerts/{device}`.
  const rules = new RulesModule({
    db: storage.db,
    sqlite: storage.sqlite,
    clock,
    log,
    bus,
    box: credentials,
    registry: devices,
    deviceStore,
    presence,
    telemetry,
    notifier: notifications.notifier,
    publishAlert: (orgId, deviceId, payload) =>
      broker
        ? broker.publish(orgId, topics.alerts(deviceId), payload, 1)
        : bridge
          ? bridge.publish(orgId, topics.alerts(deviceId), payload, 1)
          : Promise.resolve(),
    changes: caches.cache(CACHE_SPECS.rules),
  });
  let rulesRunning = false;
  metrics.useRuleEngine(() => ({ ...rules.engine.stats, rules: rules.engine.index.size }));
  health.register(ruleEngineHealthCheck(() => ({ running: rulesRunning, rules: rules.engine.index.size })));
  const realtime = new RealtimeGateway(
    { httpServer: http.server, bus, authenticator, devices, clock, log: log.child({ component: 'realtime' }) },
    { redisUrl: config.redisUrl, corsOrigins: config.corsOrigins, authTimeoutMs: config.realtimeAuthTimeoutMs },
  );
  metrics.useSocketIo(() => realtime.stats);
  metrics.useSqliteCheckpoints(() => checkpointer?.stats ?? null);
  const integrations: IntegrationsModule = new IntegrationsModule({
    db: storage.db,
    clock,
    log: log.child({ component: 'integrations' }),
    bus,
    box: credentials,
    devices,
    ingest,
    notifications,
    nodeId: nodeClientId(config.dataDir),
    publicUrl: config.publicUrl,
    broadcast: (organizationId, payload) =>
      realtime.broadcastToOrganization(organizationId, 'integration_status', payload),
  });
  // Commands to devices linked to Golioth go out as Golioth RPC; every other device as before.
  commands.transport = integrations.commandTransport(commands.transport, async (deviceId, commandId, payload) => {
    const device = await devices.byDeviceId(deviceId);
    if (device) await commands.answer(device, commandId, payload, 'native');
  });
  installAuthGuard(http, authenticator);
  registerHealthRoutes(http, health);
  registerMetricsRoute(http, metrics, config.metricsToken);
  registerGrafanaRoutes(http, { databaseUrl: config.databaseUrl });
  const authDeps = { accounts, store: authStore, audit, limiter };
  registerAuthRoutes(http, authDeps);
  registerUserRoutes(http, authDeps);
  registerOrganizationRoutes(http, authDeps);
  registerApiKeyRoutes(http, authDeps);
  registerAuditRoutes(http, audit);
  registerDeviceRoutes(http, { registry: devices, store: deviceStore, presence, audit });
  registerTelemetryRoutes(http, { ingest, registry: devices, query: telemetry });
  registerCommandRoutes(http, { commands, audit });
  registerNotificationRoutes(http, { notifications, audit });
  registerIntegrationRoutes(http, { integrations, audit });
  registerRuleRoutes(http, { rules: rules.rules, audit });
  registerAlertRoutes(http, {
    store: rules.alertStore,
    lifecycle: rules.alerts,
    audit,
    deviceName: async (id) => (await devices.byDeviceId(id))?.name ?? null,
  });
  registerStackRoutes(http, { builder: new StackBuilder({ dashboardProviders: [fieldlineDashboardProvider] }), audit });

  let httpUrl: string | null = null;
  let started = false;

  return {
    config,
    log,
    http,
    webUi,
    storage,
    bus,
    accounts,
    authStore,
    authenticator,
    tokens,
    audit,
    health,
    caches,
    metrics,
    devices,
    presence,
    ingest,
    telemetry,
    retention,
    notifications,
    topics,
    mqttRouter,
    broker,
    realtime,
    bridge,
    commands,
    integrations,
    rules,
    get httpUrl() {
      return httpUrl;
    },
    async start() {
      await storage.migrate();
      await caches.start();
      if (storage.sqlite) {
        const sqliteWriter = new SqliteThreadWriter(storage.sqlite.name, (error) =>
          log.warn({ error }, 'merging the telemetry inbox failed; will retry (nothing is lost)'),
        );
        writer = sqliteWriter;
        await sqliteWriter.start();
        checkpointer = new SqliteCheckpointer(storage.sqlite.name, log);
        checkpointer.start();
      } else {
        writer = new PostgresPointWriter(storage.pool as NonNullable<Storage['pool']>);
      }
      await presence.start();
      await ingest.start();
      await retention.start();
      await commands.start();
      // Rules load (with open alerts, running durations, warm windows) before any traffic is taken.
      await rules.start();
      rulesRunning = true;
      await broker?.start();
      await bridge?.start();
      await notifications.start();
      await integrations.start();
      const bootstrap = await bootstrapFirstAdmin(authStore, clock, {
        username: config.adminUsername,
        password: config.adminPassword,
        dataDir: config.dataDir,
      });
      if (bootstrap.created)
        log.info({ username: bootstrap.username, file: bootstrap.passwordFile }, 'created the first administrator');
      // Socket.IO attaches to the HTTP server before it listens, so no early client meets a 404.
      await realtime.start();
      await http.listen({ host: config.httpHost, port: config.httpPort });
      const address = http.server.address() as AddressInfo;
      const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
      httpUrl = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      started = true;
      log.info({ url: httpUrl, database: storage.location, version: VERSION }, 'fieldline started');
      return { httpUrl, bootstrap };
    },
    async stop() {
      if (started) log.info('fieldline stopping');
      started = false;
      for (const stop of sessionChecks) stop();
      await broker?.stop();
      await bridge?.stop();
      await commands.stop();
      // Before ingest and notifications: messages being processed commit and acknowledge, then clients close.
      await integrations.stop();
      await realtime.stop();
      await http.close();
      await ingest.stop();
      rulesRunning = false;
      await rules.stop();
      await retention.stop();
      await presence.stop();
      await notifications.stop();
      await caches.stop();
      metrics.stop();
      await checkpointer?.stop();
      await storage.close();
    },
  };
}
