import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../kernel/index.js';
import type { ConnectionStatus, MqttIntegrationConfig, MqttProtocolVersion, Qos } from '../types.js';
import { AckSequencer } from './ack-sequencer.js';
import { brokerEndpoint, clientOptions, DEFAULTS, protocolVersionOf } from './client-options.js';
import { classifyConnectionError, closedBeforeConnack } from './connection-errors.js';

/** Handles one message; resolves when it may be acknowledged, rejects when it must not be (storage failed). */
export type MessageSink = (topic: string, payload: Buffer, packet: { qos: number; retain: boolean }) => Promise<void>;

export interface ConnectionDeps {
  integrationId: string;
  organizationId: string;
  clientId: string;
  sink: MessageSink;
  log: Logger;
  now: () => number;
  /** Called on every change of state worth telling (connect, disconnect, error, subscriptions). */
  onStatus: (status: ConnectionStatus) => void;
  /** QoS 0/2 messages being processed at once before new ones are dropped (QoS 1 is bounded by the broker). */
  maxInFlight?: number;
}

/** One broker subscription: a filter (shared or not) and its QoS. */
export type FilterSet = Map<string, Qos>;

const SUBACK_FAILURE = 128;

/** Wait before reconnect attempt n (0-based): min, 2·min, 4·min, … capped at max. */
export const backoffDelay = (attempt: number, min: number, max: number): number =>
  Math.min(max, min * 2 ** Math.min(attempt, 30));

/**
 * The connection of one MQTT integration: one mqtt.js client, reconnected with exponential backoff (first
 * delay reconnect_min_ms, doubling per failed attempt up to reconnect_max_ms, reset once connected),
 * resubscribed on every CONNACK that did not keep the session, and kept in step with the wanted filters while
 * connected (subscribe what was added, unsubscribe what was removed: no reconnect for a topic change).
 */
export class MqttIntegrationConnection {
  private client: MqttClient | null = null;
  private acks: AckSequencer | null = null;
  private config: MqttIntegrationConfig;
  private wanted: FilterSet = new Map();
  /** What the broker has, as far as this side knows. */
  private readonly subscribed: FilterSet = new Map();
  private syncing: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private attempts = 0;
  private nextDelay: number | null = null;
  private lastConnectedAt: number | null = null;
  private lastDisconnectedAt: number | null = null;
  private sessionPresent: boolean | null = null;
  private brokerProperties: Record<string, unknown> | null = null;
  private error: string | null = null;
  private subscribeError: string | null = null;
  private state: ConnectionStatus['state'] = 'stopped';
  messagesReceived = 0;
  dropped = 0;

  constructor(
    config: MqttIntegrationConfig,
    private readonly d: ConnectionDeps,
  ) {
    this.config = config;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get protocolVersion(): MqttProtocolVersion {
    return protocolVersionOf(this.config.broker);
  }

  /** Connects (in the background: failures are retried and reported through the status). */
  start(wanted: FilterSet): void {
    this.wanted = new Map(wanted);
    this.stopping = false;
    this.open();
  }

  /** New filters, applied on the live connection. */
  setFilters(wanted: FilterSet): void {
    this.wanted = new Map(wanted);
    if (this.connected) this.scheduleSync();
    else this.report();
  }

  /** New broker settings: a new connection with them (the filters stay). */
  async restart(config: MqttIntegrationConfig): Promise<void> {
    await this.close();
    this.config = config;
    this.stopping = false;
    this.attempts = 0;
    this.open();
  }

  /** Drops the connection and connects again at once (`POST …/reconnect`). */
  async reconnect(): Promise<void> {
    await this.restart(this.config);
  }

  /** Lets the messages being processed finish (their PUBACKs go out), then disconnects. */
  async stop(): Promise<void> {
    await this.close();
    this.state = 'stopped';
    this.report();
  }

  async publish(topic: string, payload: Buffer | string, qos: Qos, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client?.connected)
      throw new Error(this.error ? `not connected: ${this.error}` : 'not connected to the broker');
    await client.publishAsync(topic, payload, { qos, retain });
  }

  status(): ConnectionStatus {
    const endpoint = brokerEndpoint(this.config.broker);
    return {
      integration_id: this.d.integrationId,
      organization_id: this.d.organizationId,
      state: this.state,
      connected: this.connected,
      last_connected_at: this.lastConnectedAt,
      last_disconnected_at: this.lastDisconnectedAt,
      messages_received: this.messagesReceived,
      subscribed_topics_count: this.subscribed.size,
      subscribed_topics: [...this.subscribed.keys()],
      client_id: this.d.clientId,
      broker_info: {
        url: endpoint.url,
        protocol_version: this.protocolVersion,
        session_present: this.sessionPresent,
        properties: this.brokerProperties,
      },
      connection_error: this.error ?? this.subscribeError,
      reconnect_attempts: this.attempts,
      next_reconnect_in_ms: this.state === 'reconnecting' ? this.nextDelay : null,
    };
  }

  private open(): void {
    const options: IClientOptions = {
      ...clientOptions(this.config, this.d.clientId),
      // Reconnection is scheduled here (exponential backoff), not by mqtt.js's fixed interval.
      reconnectPeriod: 0,
    };
    const endpoint = brokerEndpoint(this.config.broker);
    this.state = this.attempts === 0 ? 'connecting' : 'reconnecting';
    const client = mqtt.connect(endpoint.url, options);
    this.client = client;
    this.acks = new AckSequencer(client, () => this.recycle(client));
    let connackSeen = false;
    client.on('connect', (connack) => {
      connackSeen = true;
      this.acks?.reset();
      this.attempts = 0;
      this.nextDelay = null;
      this.error = null;
      this.state = 'connected';
      this.lastConnectedAt = this.d.now();
      this.sessionPresent = connack.sessionPresent;
      this.brokerProperties = connack.properties ? { ...connack.properties } : null;
      // Without the session the broker forgot every subscription; with it, the diff below is all it needs.
      if (!connack.sessionPresent) this.subscribed.clear();
      this.d.log.info({ url: endpoint.url, client_id: this.d.clientId }, 'integration connected to its MQTT broker');
      this.report();
      this.scheduleSync();
    });
    client.on('message', (topic, payload, packet) => {
      // mqtt.js emits a QoS 1 message just before it writes the PUBACK, which the sequencer then holds until
      // the message is processed. QoS 2 comes after PUBREL (exactly once); QoS 0 has nothing to acknowledge.
      if (packet.qos === 1 && packet.messageId !== undefined && this.acks?.holding) {
        const entry = this.acks.receive(packet.messageId);
        this.handle(topic, payload, 1, packet.retain, (ok) => this.acks?.complete(entry, ok));
      } else this.handle(topic, payload, packet.qos, packet.retain, null);
    });
    client.on('error', (err) => {
      const failure = classifyConnectionError(err, {
        host: endpoint.host,
        port: endpoint.port,
        protocolVersion: this.protocolVersion,
        username: Boolean(this.config.broker.username),
      });
      this.error = failure.message;
      this.d.log.warn({ url: endpoint.url, error: failure.message }, 'integration MQTT connection error');
      this.report();
    });
    client.on('close', () => {
      if (this.client !== client) return;
      if (!connackSeen && !this.error) this.error = closedBeforeConnack(`${endpoint.host}:${endpoint.port}`).message;
      connackSeen = false;
      if (this.state === 'connected') {
        this.lastDisconnectedAt = this.d.now();
        this.error ??= 'the connection to the broker was lost';
      }
      if (this.stopping) return;
      this.scheduleReconnect(client);
    });
  }

  private scheduleReconnect(client: MqttClient): void {
    if (this.reconnectTimer) return;
    const min = this.config.broker.reconnect_min_ms ?? DEFAULTS.reconnectMinMs;
    const max = this.config.broker.reconnect_max_ms ?? DEFAULTS.reconnectMaxMs;
    const delay = backoffDelay(this.attempts, min, max);
    this.attempts++;
    this.nextDelay = delay;
    this.state = 'reconnecting';
    this.report();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopping || this.client !== client) return;
      client.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async close(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    if (!client) return;
    await Promise.allSettled([...this.inFlight]);
    await this.syncing;
    this.client = null;
    const wasConnected = client.connected;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, () => resolve()), 2000);
      client.end(false, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    client.removeAllListeners();
    client.on('error', () => {});
    this.subscribed.clear();
    if (wasConnected) this.lastDisconnectedAt = this.d.now();
    this.state = 'disconnected';
  }

  private handle(topic: string, payload: Buffer, qos: number, retain: boolean, settle: ((ok: boolean) => void) | null) {
    this.messagesReceived++;
    if (settle === null && this.inFlight.size >= (this.d.maxInFlight ?? 10_000)) {
      this.dropped++;
      return;
    }
    const work = this.d.sink(topic, payload, { qos, retain });
    this.inFlight.add(work);
    work.then(
      () => {
        this.inFlight.delete(work);
        settle?.(true);
      },
      (err: unknown) => {
        this.inFlight.delete(work);
        this.d.log.error({ err, topic }, 'integration message not processed; it stays unacknowledged');
        settle?.(false);
      },
    );
  }

  /** Drops the connection so that a broker with a persistent session sends the unacknowledged message again. */
  private recycle(client: MqttClient): void {
    if (this.client === client) client.stream?.destroy();
  }

  private scheduleSync(): void {
    this.syncing = this.syncing.then(() => this.sync()).catch(() => undefined);
  }

  /** Brings the broker's subscriptions in line with the wanted filters. */
  private async sync(): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    const remove = [...this.subscribed.keys()].filter((f) => !this.wanted.has(f));
    const add: Record<string, { qos: Qos }> = {};
    for (const [filter, qos] of this.wanted) if (this.subscribed.get(filter) !== qos) add[filter] = { qos };
    const errors: string[] = [];
    try {
      if (remove.length) {
        await client.unsubscribeAsync(remove);
        for (const f of remove) this.subscribed.delete(f);
      }
      if (Object.keys(add).length) {
        const granted = await client.subscribeAsync(add);
        for (const g of granted) {
          if (g.qos >= SUBACK_FAILURE) errors.push(g.topic);
          else this.subscribed.set(g.topic, add[g.topic]?.qos ?? (g.qos as Qos));
        }
      }
      this.subscribeError = errors.length ? `the broker refused the subscription to ${errors.join(', ')}` : null;
    } catch (err) {
      this.subscribeError = `subscribing failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (this.subscribeError) this.d.log.warn({ error: this.subscribeError }, 'integration subscription problem');
    this.report();
  }

  private report(): void {
    this.d.onStatus(this.status());
  }
}
