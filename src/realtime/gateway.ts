import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import type { Principal } from '../auth/principal.js';
import type { DeviceRef } from '../devices/device-ref.js';
import type { FieldlineEvents } from '../kernel/events.js';
import type { Clock, EventBus, Lifecycle, Logger } from '../kernel/index.js';
import { handshakeCredential, refusalOf } from './auth.js';
import type {
  ClientToServerEvents,
  InterServerEvents,
  OrganizationEventName,
  ServerToClientEvents,
  SocketData,
  TelemetryHandoff,
  TelemetryUpdatePayload,
} from './events.js';
import { rooms } from './events.js';
import { alertPayload, deviceStatusPayload, deviceUpdatePayload, telemetryUpdates } from './payloads.js';
import { RedisFanout } from './redis-fanout.js';
import { type FieldlineSocket, queuedPackets, SocketSession } from './session.js';

export interface RealtimeOptions {
  /** FIELDLINE_REDIS_URL: with it, events cross nodes through @socket.io/redis-adapter. */
  redisUrl: string | null;
  /** Origins allowed to use the long-polling transport from a browser; empty = same origin only; ['*'] = any. */
  corsOrigins: readonly string[];
  /** How long a socket may stay connected without authenticating (default 5 s). */
  authTimeoutMs?: number;
  /** Devices one socket may subscribe to (default 500). */
  maxDeviceSubscriptions?: number;
  /** Packets a socket may have queued before its telemetry is coalesced (default 64). */
  maxQueuedPackets?: number;
  /** How often each socket's credential is checked again (default 60 s). */
  revalidateMs?: number;
}

export interface RealtimeDeps {
  httpServer: HttpServer;
  bus: EventBus<FieldlineEvents>;
  authenticator: { authenticate(credential: string): Principal | Promise<Principal> };
  devices: { byDeviceId(id: string): Promise<DeviceRef | null> };
  clock: Clock;
  log: Logger;
}

export interface RealtimeStats {
  /** Socket.IO connections on this node, authenticated or not. */
  connections: number;
  authenticated: number;
  /** Sockets whose telemetry is being coalesced right now. */
  lagging: number;
  /** Telemetry updates held for lagging sockets instead of written at once, since start. */
  telemetryHeldTotal: number;
}

/** One socket's queues, for tests and diagnostics. */
export interface SocketQueueStats {
  /** Packets in the engine.io queue, waiting for the transport. */
  queuedPackets: number;
  /** Bytes written to the WebSocket but not yet taken by the kernel (0 on long-polling). */
  bufferedBytes: number;
  /** Devices with a coalesced update waiting. */
  heldDevices: number;
  heldTotal: number;
}

export const SOCKET_IO_PATH = '/socket.io/';

type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * Socket.IO on the HTTP port at /socket.io/: authenticates sockets, keeps them in their organization's room,
 * and turns bus events into client events. Each node emits only for the bus events that happened on it; with
 * Redis the adapter carries organization events to the other nodes, and telemetry goes to them as one
 * server-side message per event-loop turn, which every node delivers to its own sockets (so each socket's
 * lag is handled where the socket is).
 */
export class RealtimeGateway implements Lifecycle {
  readonly name = 'realtime';
  private io: IoServer | null = null;
  private fanout: RedisFanout | null = null;
  private readonly sessions = new Map<string, SocketSession>();
  private readonly handshakes = new WeakMap<object, { principal: Principal; credential: string }>();
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;
  private heldBySessionsGone = 0;
  private outgoing: TelemetryHandoff[] = [];
  private outgoingScheduled = false;
  private readonly authTimeoutMs: number;
  private readonly maxDeviceSubscriptions: number;
  private readonly maxQueuedPackets: number;
  private readonly revalidateMs: number;

  constructor(
    private readonly deps: RealtimeDeps,
    private readonly options: RealtimeOptions,
  ) {
    this.authTimeoutMs = options.authTimeoutMs ?? 5000;
    this.maxDeviceSubscriptions = options.maxDeviceSubscriptions ?? 500;
    this.maxQueuedPackets = options.maxQueuedPackets ?? 64;
    this.revalidateMs = options.revalidateMs ?? 60_000;
  }

  async start(): Promise<void> {
    if (this.io) return;
    this.stopped = false;
    const io: IoServer = new Server(this.deps.httpServer, this.serverOptions());
    this.io = io;
    if (this.options.redisUrl) {
      this.fanout = new RedisFanout(this.options.redisUrl, this.deps.log);
      try {
        io.adapter(await this.fanout.start());
        await this.fanout.subscribed();
      } catch (err) {
        await this.stop();
        throw err;
      }
      io.on('fieldline:telemetry', (batch) => {
        for (const { organization_id, updates } of batch) {
          const first = updates[0];
          if (first) this.deliverTelemetry(this.watchers(organization_id, first.device_id), updates);
        }
      });
    }
    io.use((socket, next) => {
      void this.authenticateHandshake(socket).then(next);
    });
    io.on('connection', (socket) => this.onConnection(socket));
    this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    const io = this.io;
    this.io = null;
    if (io) {
      // Not io.close(): that would also close the HTTP server, which belongs to the app and stops after us.
      io.local.disconnectSockets(true);
      io.engine.close();
      await io.of('/').adapter.close?.();
    }
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
    await this.fanout?.stop();
    this.fanout = null;
  }

  /** Sends an event to every authenticated socket of one organization, on every node. */
  broadcastToOrganization<E extends OrganizationEventName>(
    organizationId: string,
    event: E,
    ...payload: Parameters<ServerToClientEvents[E]>
  ): void {
    this.io?.to(rooms.organization(organizationId)).emit(event, ...payload);
  }

  /**
   * Checks every socket's credential now (each socket is also checked every `revalidateMs`): after a key is
   * revoked or a member removed, their sockets go at the latest then.
   */
  async revalidateAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.revalidate()));
  }

  /** Connection figures of this node (for /metrics). */
  get stats(): RealtimeStats {
    let authenticated = 0;
    let lagging = 0;
    let held = this.heldBySessionsGone;
    for (const session of this.sessions.values()) {
      if (session.organizationId !== null) authenticated++;
      if (session.coalescer.heldDevices > 0) lagging++;
      held += session.coalescer.heldTotal;
    }
    return { connections: this.sessions.size, authenticated, lagging, telemetryHeldTotal: held };
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  socketStats(socketId: string): SocketQueueStats | null {
    const session = this.sessions.get(socketId);
    if (!session) return null;
    const transport = session.socket.conn.transport as unknown as { socket?: { bufferedAmount?: unknown } };
    const buffered = transport.socket?.bufferedAmount;
    return {
      queuedPackets: queuedPackets(session.socket),
      bufferedBytes: typeof buffered === 'number' ? buffered : 0,
      heldDevices: session.coalescer.heldDevices,
      heldTotal: session.coalescer.heldTotal,
    };
  }

  private serverOptions(): Partial<ServerOptions> {
    const origins = this.options.corsOrigins;
    return {
      path: SOCKET_IO_PATH,
      // MQTT over WebSocket shares the HTTP server's upgrade event (/mqtt): leave upgrades that are not ours alone.
      destroyUpgrade: false,
      // The web UI bundles its own client.
      serveClient: false,
      // Clients send small requests only.
      maxHttpBufferSize: 64 * 1024,
      ...(origins.length > 0 ? { cors: { origin: origins.includes('*') ? '*' : [...origins] } } : {}),
      // Between stop() and the HTTP server closing, no new session may start.
      allowRequest: (_req, callback) => callback(this.stopped ? 'shutting down' : null, !this.stopped),
    };
  }

  private async authenticateHandshake(socket: FieldlineSocket): Promise<Error | undefined> {
    socket.data = { organizationId: null, role: null, principalId: null };
    const credential = handshakeCredential(socket.handshake.auth, socket.handshake.headers);
    // No credential: admitted for authTimeoutMs to send an `authenticate` event, in no room meanwhile.
    if (credential === null) return undefined;
    try {
      const principal = await this.deps.authenticator.authenticate(credential);
      this.handshakes.set(socket, { principal, credential });
      return undefined;
    } catch (err) {
      const reason = refusalOf(err);
      if (reason.code === 'FIELDLINE_ERR_INTERNAL') this.deps.log.error({ err }, 'realtime authentication failed');
      // The client sees `connect_error` with err.message and err.data.code.
      return Object.assign(new Error(reason.message), { data: { code: reason.code } });
    }
  }

  private onConnection(socket: FieldlineSocket): void {
    const session = new SocketSession(socket, {
      authenticator: this.deps.authenticator,
      devices: this.deps.devices,
      clock: this.deps.clock,
      log: this.deps.log,
      authTimeoutMs: this.authTimeoutMs,
      maxDeviceSubscriptions: this.maxDeviceSubscriptions,
      maxQueuedPackets: this.maxQueuedPackets,
      revalidateMs: this.revalidateMs,
    });
    this.sessions.set(socket.id, session);
    socket.on('disconnect', () => {
      this.heldBySessionsGone += session.coalescer.heldTotal;
      session.close();
      this.sessions.delete(socket.id);
    });
    session.start(this.handshakes.get(socket) ?? null);
    this.handshakes.delete(socket);
  }

  private listen(): void {
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on('telemetry.ingested', (e) => {
        const targets = this.watchers(e.organization_id, e.device_id);
        // Payloads are built only for someone: with nobody watching here and no other node, a commit costs
        // two room lookups.
        if (targets.length === 0 && !this.fanout) return;
        const updates = telemetryUpdates(e);
        this.deliverTelemetry(targets, updates);
        if (this.fanout) this.sendToOtherNodes(e.organization_id, updates);
      }),
      bus.on('device.status', (e) =>
        this.broadcastToOrganization(e.organization_id, 'device_status', deviceStatusPayload(e)),
      ),
      bus.on('device.updated', (e) => {
        this.broadcastToOrganization(e.organization_id, 'device_update', deviceUpdatePayload(e));
        // A deleted id may be created again by anyone: its watchers must subscribe again (and be checked again).
        if (e.action === 'deleted') this.io?.in(rooms.device(e.device_id)).socketsLeave(rooms.device(e.device_id));
      }),
      bus.on('alert.raised', (e) => this.broadcastToOrganization(e.organization_id, 'alert', alertPayload(e.alert))),
      bus.on('alert.updated', (e) =>
        this.broadcastToOrganization(e.organization_id, 'alert_update', alertPayload(e.alert)),
      ),
    );
  }

  /** The sessions of this node that watch a device: its device room, or its organization's telemetry room. */
  private watchers(organizationId: string, deviceId: string): SocketSession[] {
    const io = this.io;
    if (!io) return [];
    const members = io.of('/').adapter.rooms;
    const byDevice = members.get(rooms.device(deviceId));
    const byOrganization = members.get(rooms.organizationTelemetry(organizationId));
    if (!byDevice && !byOrganization) return [];
    const targets: SocketSession[] = [];
    const add = (ids: Set<string> | undefined, seen: Set<string> | undefined) => {
      if (!ids) return;
      for (const id of ids) {
        if (seen?.has(id)) continue;
        const session = this.sessions.get(id);
        // Device ids are chosen by users and unique only while they exist: deliver inside the organization only.
        if (session && session.organizationId === organizationId) targets.push(session);
      }
    };
    add(byDevice, undefined);
    add(byOrganization, byDevice);
    return targets;
  }

  /**
   * Writes a device's updates to the sessions that watch it: encoded once for every socket that keeps up, held
   * by the coalescer of every socket that lags. Runs inside the ingest path, so it never waits: a socket write
   * only queues.
   */
  private deliverTelemetry(targets: SocketSession[], updates: TelemetryUpdatePayload[]): void {
    const io = this.io;
    if (!io || targets.length === 0) return;
    for (const update of updates) {
      const keepingUp: string[] = [];
      for (const session of targets) {
        if (session.coalescer.lagging) session.coalescer.hold(update);
        else keepingUp.push(session.socket.id);
      }
      if (keepingUp.length > 0) io.local.to(keepingUp).emit('telemetry_update', update);
    }
  }

  /** Batches this node's telemetry for the other nodes: one Redis message per event-loop turn. */
  private sendToOtherNodes(organizationId: string, updates: TelemetryUpdatePayload[]): void {
    this.outgoing.push({ organization_id: organizationId, updates });
    if (this.outgoingScheduled) return;
    this.outgoingScheduled = true;
    setImmediate(() => {
      this.outgoingScheduled = false;
      const batch = this.outgoing;
      this.outgoing = [];
      if (batch.length > 0) this.io?.serverSideEmit('fieldline:telemetry', batch);
    });
  }
}
