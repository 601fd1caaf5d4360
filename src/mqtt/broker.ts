import { readFileSync } from 'node:fs';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { DeviceRef, PresenceTracker } from '../devices/index.js';
import type { Lifecycle, Logger } from '../kernel/index.js';
import type { IngestService } from '../telemetry/index.js';
import type { TopicAcl } from './acl.js';
import { type MqttCredentials, type MqttIdentity, MqttLoginError } from './identity.js';
import { PacketSizeGuard } from './packet-size-guard.js';
import type { MqttMessageRouter } from './router.js';
import { REFUSED_TOPIC, type TopicFamily, topicMatches } from './topics.js';

export interface BrokerOptions {
  host: string;
  /** TCP port; null disables the TCP listener (WebSocket and TLS may still serve). 0 picks a free port. */
  port: number | null;
  tlsPort: number | null;
  tlsCert: string | null;
  tlsKey: string | null;
  maxPacketSize: number;
  /** The HTTP server that carries MQTT over WebSocket at /mqtt. */
  httpServer: HttpServer | null;
}

/**
 * Organization stamped on every packet published through this broker; deliveries never cross it. Aedes
 * re-wraps packets keeping only known fields, `properties` among them (aedes-packet), so the stamp rides in
 * there under a symbol key, which mqtt-packet never serializes.
 */
const ORG = Symbol('fieldline.organization');
type Stamp = { [ORG]?: string };
type StampedPacket = PublishPacket & { properties?: Stamp };

const stamp = (packet: StampedPacket, organizationId: string): void => {
  packet.properties ??= {};
  packet.properties[ORG] = organizationId;
};
const stampOf = (packet: StampedPacket): string | undefined => packet.properties?.[ORG];

/** A connection's subscriptions by filter (Aedes keeps them so, restored ones from a persistent session too). */
const subscriptionsOf = (client: Client): Record<string, { qos?: number }> =>
  (client as unknown as { subscriptions?: Record<string, { qos?: number }> }).subscriptions ?? {};
const filtersOf = (client: Client): string[] => Object.keys(subscriptionsOf(client));

/** Writes a message to one connection (Aedes' client.publish: QoS 1 is tracked in its session), stamped. */
function writeTo(client: Client, organizationId: string, topic: string, payload: Buffer | string, qos: 0 | 1) {
  const packet = {
    cmd: 'publish',
    topic,
    payload: Buffer.from(payload),
    qos,
    retain: false,
    dup: false,
  } as StampedPacket;
  stamp(packet, organizationId);
  return new Promise<void>((resolve, reject) =>
    (client as unknown as { publish: (p: unknown, cb: (err?: Error) => void) => void }).publish(packet, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}

export interface BrokerStats {
  connections: number;
  messagesIn: number;
  messagesOut: number;
  /** Deliveries to subscribers by topic family, for /metrics. */
  messagesOutByFamily: Record<TopicFamily, number>;
}

/**
 * The embedded MQTT broker (Aedes) on TCP, TLS and WebSocket. Logins are checked against device tokens and
 * API keys; publishes go through the ACL and the message router, and a QoS 1 PUBACK is sent only after the
 * router resolved — that is, after the data was committed (Aedes writes PUBACK when authorizePublish calls
 * back). Every delivery is filtered to the publisher's organization.
 */
export class EmbeddedBroker implements Lifecycle {
  readonly name = 'mqtt-broker';
  readonly stats: BrokerStats = {
    connections: 0,
    messagesIn: 0,
    messagesOut: 0,
    messagesOutByFamily: { native: 0, thingsboard: 0, sparkplug: 0, alerts: 0, unknown: 0 },
  };
  private aedes: Aedes | null = null;
  private tcp: Server | null = null;
  private tls: Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly identities = new WeakMap<Client, MqttIdentity>();
  /** What each connection logged in with, to log it in again when its device changes (memory only). */
  private readonly logins = new WeakMap<Client, { username: string | undefined; password: string | undefined }>();
  private onUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;
  private readonly subscribedListeners = new Set<(deviceId: string) => void>();

  constructor(
    private readonly options: BrokerOptions,
    private readonly credentials: MqttCredentials,
    private readonly acl: TopicAcl,
    private readonly router: MqttMessageRouter,
    private readonly presence: PresenceTracker,
    private readonly ingest: IngestService,
    private readonly log: Logger,
  ) {}

  get port(): number | null {
    return (this.tcp?.address() as AddressInfo | null)?.port ?? null;
  }

  get tlsPort(): number | null {
    return (this.tls?.address() as AddressInfo | null)?.port ?? null;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const login = { username, password: password?.toString('utf8') };
        this.credentials.login(login.username, login.password).then(
          (identity) => {
            // Aedes keeps sessions (subscriptions, queued messages) and takes connections over by client id alone.
            // Each identity gets its own space of client ids, so a session never passes to another device or key
            // that uses the same id (client ids are often guessable: serial numbers, MAC addresses), and no one
            // can push another tenant's device off by connecting with its id.
            const who = identity.kind === 'device' ? `device:${identity.device.id}` : `key:${identity.principal.id}`;
            (client as { id: string }).id = `${who}:${client.id}`;
            this.identities.set(client, identity);
            this.logins.set(client, login);
            done(null, true);
          },
          (err: unknown) => {
            const code = err instanceof MqttLoginError ? err.returnCode : 5;
            const refusal = new Error(err instanceof Error ? err.message : 'not authorized') as AuthenticateError;
            refusal.returnCode = code;
            done(refusal, false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null);
        this.authorizePublish(client, packet as StampedPacket).then(
          () => done(null),
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        );
      },
      authorizeSubscribe: (client, subscription, done) => {
        const identity = client ? this.identities.get(client) : undefined;
        if (!identity || !this.acl.canSubscribe(identity, subscription.topic)) {
          // [MQTT-3.9.3] a refused subscription is answered with SUBACK return code 0x80, not a disconnect.
          return done(null, null);
        }
        done(null, subscription);
      },
      authorizeForward: (client, packet) => {
        const identity = this.identities.get(client);
        const org = stampOf(packet as StampedPacket);
        if (!identity || org === undefined || org !== identity.organizationId) return null;
        if (!this.acl.mayReceive(identity, packet.topic)) return null;
        this.stats.messagesOut++;
        this.stats.messagesOutByFamily[this.router.familyOf(packet.topic)]++;
        return packet;
      },
    });
    this.aedes = aedes;
    aedes.on('client', (client) => {
      this.stats.connections++;
      const identity = this.identities.get(client);
      if (identity?.kind === 'device') this.presence.connected(identity.device);
      this.log.debug(
        {
          client: client.id,
          device_id: identity?.kind === 'device' ? identity.device.id : undefined,
          org: identity?.organizationId,
        },
        'mqtt client connected',
      );
    });
    // When a device's connection starts to take what it subscribed to (see onDeviceSubscribed).
    aedes.on('subscribe', (_subscriptions, client) => this.announceSubscribed(client));
    aedes.on('clientReady', (client) => {
      if (filtersOf(client).length > 0) this.announceSubscribed(client);
    });
    aedes.on('clientDisconnect', (client) => {
      this.stats.connections = Math.max(0, this.stats.connections - 1);
      const identity = this.identities.get(client);
      if (identity?.kind === 'device') this.presence.disconnected(identity.device);
    });
    aedes.on('clientError', (client, err) =>
      this.log.debug({ client: client.id, err: err.message }, 'mqtt client error'),
    );
    aedes.on('connectionError', (_client, err) => this.log.debug({ err: err.message }, 'mqtt connection error'));

    // Every transport goes through the size guard before the MQTT parser buffers anything.
    // Every listener (TCP, TLS, WebSocket) reads through the guard: the parser would otherwise buffer a packet of
    // any announced size (up to MQTT's 256 MB) before anything could refuse it.
    const guarded = (socket: Duplex) => {
      let client: Client | undefined;
      const max = this.options.maxPacketSize;
      const guard = new PacketSizeGuard(max, (announced) => {
        // Known once CONNECT went through: an oversized packet later on is the device's last error too.
        const identity = client ? this.identities.get(client) : undefined;
        const device = identity?.kind === 'device' ? identity.device : null;
        this.ingest.refuse(device, 'too_large', `a packet of ${announced} bytes exceeds the maximum of ${max} bytes`);
        this.log.warn(
          { announced, max, client: client?.id, device_id: device?.id, org: identity?.organizationId },
          'closed an MQTT connection that sent an oversized packet',
        );
      });
      client = aedes.handle(guard.attach(socket) as never);
    };
    if (this.options.port !== null) {
      this.tcp = createServer(guarded);
      await listen(this.tcp, this.options.port, this.options.host);
    }
    if (this.options.tlsPort !== null && this.options.tlsCert && this.options.tlsKey) {
      this.tls = createTlsServer(
        { cert: readFileSync(this.options.tlsCert), key: readFileSync(this.options.tlsKey) },
        guarded,
      );
      await listen(this.tls, this.options.tlsPort, this.options.host);
    }
    if (this.options.httpServer) {
      const wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxPacketSize + 16 });
      this.wss = wss;
      this.onUpgrade = (req, socket, head) => {
        if ((req.url ?? '').split('?')[0] !== '/mqtt') return;
        wss.handleUpgrade(req, socket, head, (ws) => guarded(createWebSocketStream(ws)));
      };
      this.options.httpServer.on('upgrade', this.onUpgrade);
    }
  }

  async stop(): Promise<void> {
    if (this.onUpgrade) this.options.httpServer?.off('upgrade', this.onUpgrade);
    this.wss?.close();
    // Stop accepting, then close aedes, which ends the connected clients: a listener's close() waits for its
    // connections, so awaiting it first would hang as long as one client stays connected.
    const listeners = Promise.all([closeServer(this.tcp), closeServer(this.tls)]);
    const aedes = this.aedes;
    this.aedes = null;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await listeners;
  }

  /** Publishes a message from the platform (commands, alerts) to the subscribers of one organization. */
  publish(
    organizationId: string,
    topic: string,
    payload: Buffer | string,
    qos: 0 | 1 = 1,
    retain = false,
  ): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('the MQTT broker is not running'));
    const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false } as StampedPacket;
    stamp(packet, organizationId);
    return new Promise((resolve, reject) => aedes.publish(packet, (err?: Error) => (err ? reject(err) : resolve())));
  }

  /**
   * Delivers a message to the connections of one device only — needed where the topic itself does not name
   * the device (ThingsBoard's `v1/devices/me/rpc/request/{id}` is the same for every device) — and of those
   * only to the ones listening to the topic (see listensTo), as a PUBLISH through the broker would. Resolves
   * with the number of connections it was written to (0: none of the device's connections here listens).
   */
  async sendToDevice(
    deviceId: string,
    organizationId: string,
    topic: string,
    payload: Buffer | string,
    qos: 0 | 1 = 1,
  ): Promise<number> {
    const targets = this.clientsOf(deviceId).filter((client) => listensTo(client, topic));
    await Promise.all(targets.map((client) => writeTo(client, organizationId, topic, payload, qos)));
    return targets.length;
  }

  /**
   * Logs every connection of these devices (null: of every device) in again with the credentials it connected
   * with, and closes those refused now or that would now be another device; answers how many were closed.
   */
  async revalidateDevices(deviceIds: readonly string[] | null): Promise<number> {
    const clients = deviceIds === null ? this.deviceClients() : deviceIds.flatMap((id) => this.clientsOf(id));
    return this.revalidate(
      clients,
      (was, now) => was.kind === 'device' && now.kind === 'device' && now.device.id === was.device.id,
    );
  }

  /**
   * Logs every connection made with an organization API key in again, and closes those refused now (a revoked
   * key, a deleted organization) or whose key would now act with another role; answers how many were closed.
   */
  async revalidateApiKeys(): Promise<number> {
    const clients = this.allClients().filter((c) => this.identities.get(c)?.kind === 'api_key');
    return this.revalidate(
      clients,
      (was, now) =>
        was.kind === 'api_key' &&
        now.kind === 'api_key' &&
        now.principal.id === was.principal.id &&
        now.principal.role === was.principal.role,
    );
  }

  private async revalidate(
    clients: Client[],
    unchanged: (was: MqttIdentity, now: MqttIdentity) => boolean,
  ): Promise<number> {
    const verdicts = await Promise.all(
      clients.map(async (client) => {
        const was = this.identities.get(client);
        const login = this.logins.get(client);
        if (!was || !login) return false;
        const now = await this.credentials.recheck(login.username, login.password);
        if (now && unchanged(was, now)) return false;
        client.close();
        return true;
      }),
    );
    return verdicts.filter(Boolean).length;
  }

  isConnected(deviceId: string): boolean {
    return this.clientsOf(deviceId).length > 0;
  }

  /** Whether a connection of this device listens to the topic now (sendToDevice would write to it). */
  deviceListens(deviceId: string, topic: string): boolean {
    return this.clientsOf(deviceId).some((client) => listensTo(client, topic));
  }

  /** Whether any connection of this organization listens to the topic now (publish would reach it). */
  organizationListens(organizationId: string, topic: string): boolean {
    const clients = (this.aedes as unknown as { clients?: Record<string, Client> } | null)?.clients ?? {};
    return Object.values(clients).some(
      (client) => this.identities.get(client)?.organizationId === organizationId && listensTo(client, topic),
    );
  }

  /**
   * Calls back with the device of a connection that has just started to take the messages it subscribed to:
   * after the SUBACK of each of its SUBSCRIBEs (Aedes announces a subscription once SUBACK is written), and
   * once it is ready when it came back with subscriptions restored from its persistent session. Answers the
   * unsubscribe.
   */
  onDeviceSubscribed(listener: (deviceId: string) => void): () => void {
    this.subscribedListeners.add(listener);
    return () => this.subscribedListeners.delete(listener);
  }

  private announceSubscribed(client: Client): void {
    const identity = this.identities.get(client);
    if (identity?.kind !== 'device') return;
    for (const listener of this.subscribedListeners) listener(identity.device.id);
  }

  private clientsOf(deviceId: string): Client[] {
    return this.deviceClients().filter((c) => {
      const identity = this.identities.get(c);
      return identity?.kind === 'device' && identity.device.id === deviceId;
    });
  }

  private deviceClients(): Client[] {
    return this.allClients().filter((c) => this.identities.get(c)?.kind === 'device');
  }

  private allClients(): Client[] {
    const clients = (this.aedes as unknown as { clients?: Record<string, Client> } | null)?.clients ?? {};
    return Object.values(clients);
  }

  /** Device ids with a live connection here. */
  connectedDevices(): DeviceRef[] {
    const out: DeviceRef[] = [];
    const clients = (this.aedes as unknown as { clients?: Record<string, Client> } | null)?.clients ?? {};
    for (const client of Object.values(clients)) {
      const identity = this.identities.get(client);
      if (identity?.kind === 'device') out.push(identity.device);
    }
    return out;
  }

  /**
   * Writes an answer to the one connection that asked, if it subscribed to where answers go (MQTT has no way
   * to send a client what it did not subscribe to); otherwise the device's last error says so.
   */
  private answer(client: Client, identity: MqttIdentity, reply: { topic: string; payload: string }): void {
    if (!listensTo(client, reply.topic)) {
      const where = `${reply.topic.slice(0, reply.topic.lastIndexOf('/'))}/+`;
      this.ingest.refuse(
        identity.kind === 'device' ? identity.device : null,
        'unsupported',
        `the answer goes to ${where}, which this connection has not subscribed to`,
      );
      return;
    }
    // At the subscription's QoS, as any delivery (QoS 2 is not offered to devices).
    const subscriptions = subscriptionsOf(client);
    const qos = Math.max(
      ...Object.keys(subscriptions)
        .filter((filter) => topicMatches(filter, reply.topic))
        .map((filter) => subscriptions[filter]?.qos ?? 0),
    );
    writeTo(client, identity.organizationId, reply.topic, reply.payload, qos >= 1 ? 1 : 0).catch((err: unknown) =>
      this.log.debug({ err, client: client.id }, 'could not write an answer to its connection'),
    );
  }

  private async authorizePublish(client: Client, packet: StampedPacket): Promise<void> {
    this.stats.messagesIn++;
    const identity = this.identities.get(client);
    if (!identity) throw new Error('not authenticated');
    const device = identity.kind === 'device' ? identity.device : null;
    stamp(packet, identity.organizationId);
    if (packet.payload.length > this.options.maxPacketSize) {
      this.ingest.refuse(
        device,
        'too_large',
        `payload of ${packet.payload.length} bytes exceeds ${this.options.maxPacketSize}`,
      );
      packet.topic = REFUSED_TOPIC;
      return;
    }
    const match = this.router.parse(packet.topic);
    if (!this.acl.canPublish(identity, packet.topic, match)) {
      // MQTT 3.1.1 has no negative PUBACK: the message is acknowledged, counted as refused and not forwarded,
      // and the connection stays up, so one bad topic does not cost the device its other data.
      this.ingest.refuse(device, 'not_authorized', `publishing to ${packet.topic} is not allowed`);
      packet.topic = REFUSED_TOPIC;
      return;
    }
    const outcome = await this.router.route(identity, packet.topic, packet.payload, match);
    if (outcome.reply) this.answer(client, identity, outcome.reply);
    packet.topic = outcome.forwardTopic ?? REFUSED_TOPIC;
    // Forwarded copies are not retained: retained state would outlive the organization stamp.
    packet.retain = false;
  }
}

/**
 * Whether a connection takes messages on this topic now: it holds a matching subscription and is ready —
 * Aedes sets `connected` once CONNACK is written and a persistent session's queue has been replayed. Before
 * that a write would land in front of CONNACK, or (persistent session) join the session's queue just as it is
 * replayed and reach the device twice.
 */
function listensTo(client: Client, topic: string): boolean {
  return client.connected && !client.closed && filtersOf(client).some((filter) => topicMatches(filter, topic));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server | null): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
