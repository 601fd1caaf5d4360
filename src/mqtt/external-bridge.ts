import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { DeviceRegistry } from '../devices/index.js';
import type { Lifecycle, Logger } from '../kernel/index.js';
import type { PartHealth } from '../observability/health.js';
import { parseSparkplugTopic, sparkplugDeviceId } from '../telemetry/codecs/index.js';
import type { IngestService } from '../telemetry/index.js';
import { AckLane, DEFERRED_ACK } from './ack-lane.js';
import type { MqttIdentity } from './identity.js';
import type { MqttMessageRouter } from './router.js';
import type { TopicScheme } from './topics.js';

export interface ExternalBrokerOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker, credentials included if it needs them. */
  url: string;
  /** Stable per Fieldline node (see nodeClientId): the broker keeps this node's session under it. */
  clientId: string;
  /** Connections this node opens, all in the same share group (1 to 10, default 1). */
  connections?: number;
  /**
   * MQTT 5 Receive Maximum: QoS 1 messages the broker may send one connection before their PUBACKs (the
   * broker may cap it lower: Mosquitto's max_inflight_messages, 20 by default). Default 1000.
   */
  receiveMaximum?: number;
  /**
   * The shared-subscription group; every node of one installation uses the same. Default: the topic prefix
   * (`fieldline`), so two installations on one broker never take each other's Sparkplug messages.
   */
  shareGroup?: string;
  /** First reconnect delay; doubles per failed attempt up to maxReconnectMs, reset once connected. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /**
   * MQTT 5 Session Expiry Interval: how long the broker keeps this node's session (and queues its share of
   * the messages) while it is away — long enough to ride out a restart, short enough that a node removed for
   * good stops holding messages back.
   */
  sessionExpiryS?: number;
  /** How long start() waits for the first connection before carrying on and retrying in the background. */
  startTimeoutMs?: number;
}

export interface BridgeStats {
  messagesIn: number;
  /** Messages about devices Fieldline does not know (or that are inactive): refused and acknowledged. */
  refusedUnknownDevice: number;
  /** Messages whose commit failed: not acknowledged, the connection is recycled so the broker sends them again. */
  unacknowledged: number;
  connects: number;
}

/**
 * The client id of this Fieldline node: the same across restarts of one installation, distinct between nodes.
 * With the connection suffix (`-0`…) it stays within the 23 characters every broker must accept [MQTT-3.1.3-5].
 */
export function nodeClientId(dataDir: string): string {
  const digest = createHash('sha256').update(`${hostname()}\0${dataDir}`).digest('hex').slice(0, 10);
  return `fieldline-${digest}`;
}

/** The broker URL as safe to show: no password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * The topic filters a node subscribes to. Shared subscriptions ([MQTT-4.8.2] in MQTT 5; Mosquitto and EMQX
 * honour them for 3.1.1 clients too) make the broker hand each message to one member of the group, so several
 * Fieldline nodes split the load instead of each storing everything. ThingsBoard's `v1/devices/me/...` topics
 * are not subscribed: they do not name the device, which only the broker that authenticated it knows.
 */
export function bridgeFilters(topics: TopicScheme, group: string, withSparkplug: boolean): string[] {
  const share = (filter: string) => `$share/${group}/${filter}`;
  const filters = [
    share(`${topics.devicesPrefix}+/telemetry`),
    share(`${topics.devicesPrefix}+/status`),
    share(`${topics.devicesPrefix}+/commands/+/response`),
  ];
  // Sparkplug sessions check each edge node's sequence numbers, so one connection per node takes them (in
  // order); across several nodes the broker must keep an edge node on one member (EMQX: hash_clientid).
  if (withSparkplug) filters.push(share('spBv1.0/#'));
  return filters;
}

/**
 * External broker mode (FIELDLINE_MQTT_URL): instead of running its own broker, Fieldline subscribes to the
 * device topics on an existing one (Mosquitto, EMQX, HiveMQ) and routes each message through the same
 * MqttMessageRouter as the embedded broker. The broker authenticates devices; the device is the one the topic
 * names. Acknowledged means durable here too: over MQTT 5, mqtt.js's customHandleAcks lets the bridge hold a
 * QoS 1 message's PUBACK, which an AckLane sends only after the router resolved, i.e. after the commit — with
 * many messages in flight per connection so that they share commits. A message whose commit failed is not
 * acknowledged; the connection is dropped and, the session being persistent (clean start false, a stable
 * client id), the broker delivers it again after the reconnect.
 */
export class ExternalBrokerBridge implements Lifecycle {
  readonly name = 'mqtt-bridge';
  readonly stats: BridgeStats = { messagesIn: 0, refusedUnknownDevice: 0, unacknowledged: 0, connects: 0 };
  private clients: MqttClient[] = [];
  private readonly subscribed = new Set<MqttClient>();
  private readonly lanes = new Map<MqttClient, AckLane>();
  private readonly inFlight = new Set<Promise<void>>();
  private readyWaiters: (() => void)[] = [];
  private readonly options: Required<ExternalBrokerOptions>;

  constructor(
    options: ExternalBrokerOptions,
    private readonly topics: TopicScheme,
    private readonly router: MqttMessageRouter,
    private readonly devices: DeviceRegistry,
    private readonly ingest: IngestService,
    private readonly log: Logger,
  ) {
    this.options = {
      connections: 1,
      receiveMaximum: 1000,
      shareGroup: topics.prefix,
      reconnectMs: 1000,
      maxReconnectMs: 30_000,
      sessionExpiryS: 3600,
      startTimeoutMs: 5000,
      ...options,
    };
    this.options.connections = Math.min(10, Math.max(1, Math.floor(this.options.connections)));
  }

  /** Up when every connection is up and subscribed. */
  get connected(): boolean {
    return this.clients.length > 0 && this.subscribed.size === this.clients.length;
  }

  async start(): Promise<void> {
    const { connections } = this.options;
    for (let i = 0; i < connections; i++) this.clients.push(this.open(i));
    const ready = this.ready();
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(resolve, this.options.startTimeoutMs, 'timeout').unref(),
    );
    if ((await Promise.race([ready, timeout])) === 'timeout') {
      this.log.warn(
        { url: redactUrl(this.options.url) },
        'the external MQTT broker is not reachable yet; retrying in the background',
      );
    }
  }

  /** Resolves once every connection has connected and subscribed (again, after a reconnect). */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Lets the messages being committed finish (so their PUBACKs go out), then disconnects. */
  async stop(): Promise<void> {
    const clients = this.clients.splice(0);
    for (const client of clients) client.options.reconnectPeriod = 0;
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.lanes.values()].map((lane) => lane.drained()));
    await Promise.allSettled(clients.map((client) => client.endAsync(false)));
    this.subscribed.clear();
    this.lanes.clear();
  }

  /**
   * Publishes a platform message (a command, an alert) on the external broker. The broker's own ACLs decide
   * who receives it, so the organization is not needed here; it is accepted for the same signature as the
   * embedded broker's publish. Resolves when the broker acknowledged it (QoS 1) or it was written (QoS 0).
   */
  async publish(
    _organizationId: string,
    topic: string,
    payload: Buffer | string,
    qos: 0 | 1 = 1,
    retain = false,
  ): Promise<void> {
    const client = this.clients.find((c) => c.connected);
    if (!client) throw new Error('the external MQTT broker is not connected');
    await client.publishAsync(topic, payload, { qos, retain });
  }

  health(): PartHealth {
    const up = this.clients.filter((c) => this.subscribed.has(c)).length;
    return {
      status: up === this.clients.length && up > 0 ? 'up' : up > 0 ? 'degraded' : 'down',
      mode: 'external',
      url: redactUrl(this.options.url),
      share_group: this.options.shareGroup,
      connections: { up, total: this.clients.length },
      messages_in: this.stats.messagesIn,
    };
  }

  private open(index: number): MqttClient {
    const { url, clientId, connections, reconnectMs, maxReconnectMs, sessionExpiryS, receiveMaximum } = this.options;
    const options: IClientOptions = {
      clientId: connections === 1 ? clientId : `${clientId}-${index}`,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: sessionExpiryS, receiveMaximum },
      reconnectPeriod: reconnectMs,
      connectTimeout: 10_000,
      // Filters are subscribed on every CONNACK below, whether the broker kept the session or not.
      resubscribe: false,
      customHandleAcks: (topic, message, packet, done) => {
        const work = this.receive(lane, topic, message, packet.qos === 1 ? packet.messageId : undefined);
        // QoS 1: the lane sends the PUBACK after the commit. (QoS 2 is never granted: subscriptions are QoS 1.)
        if (packet.qos === 1) return done(DEFERRED_ACK);
        work.then(
          () => done(0),
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        );
      },
    };
    const client = mqtt.connect(url, options);
    const lane = new AckLane(client, (err) => {
      this.stats.unacknowledged++;
      this.log.error({ err }, 'an external broker message was not stored; left unacknowledged for redelivery');
      this.recycle(client);
    });
    this.lanes.set(client, lane);
    client.on('connect', (connack) => {
      this.stats.connects++;
      client.options.reconnectPeriod = reconnectMs;
      const filters = bridgeFilters(this.topics, this.options.shareGroup, index === 0);
      client.subscribe(filters, { qos: 1 }, (err, granted) => {
        const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
        if (err || refused.length > 0) {
          this.log.error({ err, refused }, 'the external broker refused Fieldline subscriptions');
          return;
        }
        this.subscribed.add(client);
        this.log.info(
          { url: redactUrl(url), client_id: options.clientId, session_present: connack.sessionPresent },
          'subscribed on the external MQTT broker',
        );
        if (this.connected) for (const wake of this.readyWaiters.splice(0)) wake();
      });
    });
    // QoS 1 and 2 go through customHandleAcks; QoS 0 has nothing to acknowledge.
    client.on('message', (topic, payload, packet) => {
      if (packet.qos === 0) void this.receive(lane, topic, payload).catch(() => undefined);
    });
    client.on('close', () => {
      this.subscribed.delete(client);
      // Backoff: each failed attempt doubles the wait, up to the maximum.
      client.options.reconnectPeriod = Math.min((client.options.reconnectPeriod ?? reconnectMs) * 2, maxReconnectMs);
    });
    client.on('error', (err) => {
      if (err !== DEFERRED_ACK) this.log.warn({ err: err.message, url: redactUrl(url) }, 'external MQTT broker error');
    });
    return client;
  }

  /** One message from the broker: the device its topic names, then the router. Rejects only when storage failed. */
  private receive(lane: AckLane, topic: string, payload: Buffer, messageId?: number): Promise<void> {
    this.stats.messagesIn++;
    return this.track(
      lane.push(
        () => this.identityFor(topic),
        async (identity) => {
          if (identity) await this.router.route(identity, topic, payload);
        },
        messageId,
      ),
    );
  }

  /**
   * Who a message is from. Native topics name the device; Sparkplug topics name the edge node, which must be
   * registered in Fieldline (device id `{group}:{edge_node}`): its organization is where the edge node's
   * devices are registered on their birth. Fieldline's own NCMD/DCMD and STATE messages are not device data.
   */
  private async identityFor(topic: string): Promise<MqttIdentity | null> {
    const match = this.topics.parse(topic);
    let deviceId: string;
    if (match.family === 'native') {
      deviceId = match.deviceId;
    } else if (match.family === 'sparkplug') {
      const sp = parseSparkplugTopic(topic);
      if (sp === null || sp.type === 'STATE' || sp.type === 'NCMD' || sp.type === 'DCMD') return null;
      deviceId = sparkplugDeviceId({ group: sp.group, edgeNode: sp.edgeNode });
    } else {
      this.ingest.refuse(null, 'unsupported', `no handler for topic ${topic.slice(0, 200)}`);
      return null;
    }
    const device = await this.devices.byDeviceId(deviceId);
    if (!device?.active) {
      this.stats.refusedUnknownDevice++;
      this.ingest.refuse(null, device ? 'inactive_device' : 'unknown_device', `no active device '${deviceId}'`);
      return null;
    }
    return { kind: 'device', device, organizationId: device.organizationId };
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    void work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }

  /** Drops the connection so that the broker redelivers what was left unacknowledged (persistent session). */
  private recycle(client: MqttClient): void {
    if (!this.clients.includes(client)) return;
    this.subscribed.delete(client);
    client.stream?.destroy();
  }
}
