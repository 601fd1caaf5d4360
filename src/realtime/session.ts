import type { Socket } from 'socket.io';
import type { Principal } from '../auth/principal.js';
import { roleAtLeast } from '../auth/roles.js';
import type { DeviceRef } from '../devices/device-ref.js';
import type { Clock, ErrorCode, Logger } from '../kernel/index.js';
import { type RefusalReason, refusalOf, requestCredential, tokenExpiresAt } from './auth.js';
import { TelemetryCoalescer } from './coalescer.js';
import type {
  AckResult,
  AuthenticateResult,
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from './events.js';
import { rooms } from './events.js';

export type FieldlineSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface SessionDeps {
  authenticator: { authenticate(credential: string): Principal | Promise<Principal> };
  devices: { byDeviceId(id: string): Promise<DeviceRef | null> };
  clock: Clock;
  log: Logger;
  /** How long a socket may stay connected without authenticating. */
  authTimeoutMs: number;
  maxDeviceSubscriptions: number;
  maxQueuedPackets: number;
  /** How often the credential is checked again (revoked keys, removed members, disabled users). */
  revalidateMs: number;
}

type Reply<R> = (result: R) => void;

const fail = (code: ErrorCode, error: string): AckResult & { ok: false } => ({ ok: false, code, error });

/** setTimeout's longest delay; a token that outlives it is checked again when the timer fires. */
const MAX_TIMER_MS = 2_147_483_647;
const MAX_DEVICE_ID_LENGTH = 256;

/**
 * One connected socket: who it acts as, which devices it watches, and its telemetry coalescer. A socket
 * without a principal receives nothing (it is in no room) until it authenticates, and is disconnected when it
 * has not done so within `authTimeoutMs` or when its token expires without being renewed.
 */
export class SocketSession {
  private principal: Principal | null = null;
  private credential: string | null = null;
  private authenticating: Promise<void> | null = null;
  private authTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private revalidateTimer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly coalescer: TelemetryCoalescer;

  constructor(
    readonly socket: FieldlineSocket,
    private readonly deps: SessionDeps,
  ) {
    this.coalescer = new TelemetryCoalescer(
      {
        queuedPackets: () => queuedPackets(socket),
        write: (update) => socket.emit('telemetry_update', update),
      },
      deps.maxQueuedPackets,
    );
  }

  get organizationId(): string | null {
    return this.principal?.organizationId ?? null;
  }

  /** Wires the client's requests; `handshake` is the principal the handshake authenticated, if any. */
  start(handshake: { principal: Principal; credential: string } | null): void {
    const s = this.socket;
    s.conn.on('drain', () => this.coalescer.onDrain());
    s.on('authenticate', (request: unknown, ack: unknown) => this.run(ack, () => this.authenticate(request)));
    s.on('subscribe_device', (request: unknown, ack: unknown) => this.run(ack, () => this.subscribeDevice(request)));
    s.on('unsubscribe_device', (request: unknown, ack: unknown) =>
      this.run(ack, () => this.unsubscribeDevice(request)),
    );
    // Both `emit('subscribe_org_telemetry', cb)` and `emit('subscribe_org_telemetry', {}, cb)` are accepted.
    s.on('subscribe_org_telemetry', (...args: unknown[]) =>
      this.run(args.at(-1), () => this.organizationTelemetry(true)),
    );
    s.on('unsubscribe_org_telemetry', (...args: unknown[]) =>
      this.run(args.at(-1), () => this.organizationTelemetry(false)),
    );
    if (handshake) this.admit(handshake.principal, handshake.credential);
    else {
      this.authTimer = setTimeout(
        () =>
          this.refuse({
            code: 'FIELDLINE_ERR_UNAUTHENTICATED',
            message: `No token within ${this.deps.authTimeoutMs} ms: pass auth: {token} when connecting, or send an authenticate event {token}`,
          }),
        this.deps.authTimeoutMs,
      );
    }
  }

  close(): void {
    this.closed = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.revalidateTimer) clearTimeout(this.revalidateTimer);
    this.authTimer = null;
    this.expiryTimer = null;
    this.revalidateTimer = null;
    this.credential = null;
    this.coalescer.close();
  }

  /** Runs one request and answers its acknowledgement callback, if the client gave one. */
  private run<R>(ack: unknown, handler: () => Promise<R>): void {
    const reply: Reply<R | AckResult> = typeof ack === 'function' ? (ack as Reply<R | AckResult>) : () => {};
    handler().then(reply, (err: unknown) => {
      this.deps.log.error({ err, socket: this.socket.id }, 'a realtime request failed');
      reply(fail('FIELDLINE_ERR_INTERNAL', 'The request failed; try again'));
    });
  }

  /** The principal, once any authentication in progress has finished. */
  private async current(): Promise<Principal | null> {
    if (this.authenticating) await this.authenticating;
    return this.principal;
  }

  private admit(principal: Principal, credential: string): void {
    // An authentication that finished after the socket went must not leave timers behind.
    if (this.closed) return;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    this.credential = credential;
    this.setPrincipal(principal);
    void this.socket.join(rooms.organization(principal.organizationId));
    this.armExpiry(tokenExpiresAt(credential));
    this.armRevalidation();
  }

  private setPrincipal(principal: Principal): void {
    this.principal = principal;
    this.socket.data = { organizationId: principal.organizationId, role: principal.role, principalId: principal.id };
    // The organization-wide feed is for operators and up; a role lowered since is dropped from it.
    if (!roleAtLeast(principal.role, 'operator'))
      void this.socket.leave(rooms.organizationTelemetry(principal.organizationId));
  }

  /** Spread over half the interval so that a node's sockets are not all checked in the same second. */
  private armRevalidation(): void {
    if (this.revalidateTimer) clearTimeout(this.revalidateTimer);
    const delay = this.deps.revalidateMs * (0.5 + Math.random() / 2);
    this.revalidateTimer = setTimeout(() => void this.revalidate(), delay);
  }

  /**
   * Checks the credential again, as HTTP does on every request: a revoked API key, a removed member or a
   * disabled user is disconnected; a changed role applies. A check that could not be made (database away)
   * keeps the socket until the next one.
   */
  async revalidate(): Promise<void> {
    const credential = this.credential;
    const current = this.principal;
    if (!credential || !current || this.closed) return;
    try {
      const principal = await this.deps.authenticator.authenticate(credential);
      if (this.credential !== credential) return;
      if (principal.organizationId !== current.organizationId) {
        return this.refuse({ code: 'FIELDLINE_ERR_UNAUTHENTICATED', message: 'The credential changed organization' });
      }
      this.setPrincipal(principal);
    } catch (err) {
      if (this.credential !== credential) return;
      const reason = refusalOf(err);
      if (reason.code === 'FIELDLINE_ERR_UNAUTHENTICATED' || reason.code === 'FIELDLINE_ERR_TOKEN_EXPIRED') {
        return this.refuse(reason);
      }
      this.deps.log.debug({ err, socket: this.socket.id }, 'realtime: credential check failed; keeping the socket');
    }
    if (this.credential === credential && !this.closed) this.armRevalidation();
  }

  private armExpiry(expiresAt: number | null): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (expiresAt === null) return;
    const delay = expiresAt - this.deps.clock.now();
    this.expiryTimer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) return this.armExpiry(expiresAt);
        this.refuse({
          code: 'FIELDLINE_ERR_TOKEN_EXPIRED',
          message: 'The access token expired; send authenticate {token} with a new one before expiry to stay connected',
        });
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
  }

  /** Tells the client why, then disconnects it (socket.io-client does not reconnect after a server disconnect). */
  private refuse(reason: RefusalReason): void {
    this.credential = null;
    this.deps.log.debug({ socket: this.socket.id, code: reason.code }, 'realtime socket refused');
    this.socket.emit('unauthorized', reason);
    this.socket.disconnect(true);
  }

  private async authenticate(request: unknown): Promise<AuthenticateResult> {
    const credential = requestCredential(request);
    if (credential === null) return fail('FIELDLINE_ERR_VALIDATION', 'authenticate needs {token: "<JWT or API key>"}');
    while (this.authenticating) await this.authenticating;
    // Requests that arrive meanwhile wait for this to finish (admit included), so a client may emit
    // authenticate and subscribe_device back to back.
    const work = this.authenticateWith(credential);
    const settled = work.then(
      () => {},
      () => {},
    );
    this.authenticating = settled;
    try {
      return await work;
    } finally {
      if (this.authenticating === settled) this.authenticating = null;
    }
  }

  private async authenticateWith(credential: string): Promise<AuthenticateResult> {
    let principal: Principal;
    try {
      principal = await this.deps.authenticator.authenticate(credential);
    } catch (err) {
      const reason = refusalOf(err);
      // A socket that never authenticated has no business staying (after its answer has gone out); one
      // renewing its token keeps the token it has.
      if (!this.principal) setImmediate(() => this.refuse(reason));
      return fail(reason.code, reason.message);
    }
    const previous = this.principal;
    if (previous && previous.organizationId !== principal.organizationId) {
      return fail(
        'FIELDLINE_ERR_FORBIDDEN',
        'A connection stays in the organization it authenticated for; reconnect to switch organizations',
      );
    }
    this.admit(principal, credential);
    return { ok: true, organization_id: principal.organizationId, role: principal.role };
  }

  private async subscribeDevice(request: unknown): Promise<AckResult> {
    const principal = await this.current();
    if (!principal) return fail('FIELDLINE_ERR_UNAUTHENTICATED', 'Authenticate before subscribing');
    const deviceId = deviceIdOf(request);
    if (deviceId === null) return fail('FIELDLINE_ERR_VALIDATION', 'subscribe_device needs {device_id: "<id>"}');
    const room = rooms.device(deviceId);
    if (this.socket.rooms.has(room)) return { ok: true };
    if (this.deviceSubscriptions() >= this.deps.maxDeviceSubscriptions) {
      return fail(
        'FIELDLINE_ERR_UNPROCESSABLE',
        `At most ${this.deps.maxDeviceSubscriptions} device subscriptions per connection: unsubscribe some, or use subscribe_org_telemetry`,
      );
    }
    const device = await this.deps.devices.byDeviceId(deviceId);
    // Another organization's device answers exactly like a missing one: its existence is not revealed.
    if (!device || device.organizationId !== principal.organizationId) {
      return fail('FIELDLINE_ERR_NOT_FOUND', `Device '${deviceId}' not found in your organization`);
    }
    if (!this.socket.connected) return fail('FIELDLINE_ERR_UNAVAILABLE', 'The connection closed');
    await this.socket.join(room);
    return { ok: true };
  }

  private async unsubscribeDevice(request: unknown): Promise<AckResult> {
    const principal = await this.current();
    if (!principal) return fail('FIELDLINE_ERR_UNAUTHENTICATED', 'Authenticate before unsubscribing');
    const deviceId = deviceIdOf(request);
    if (deviceId === null) return fail('FIELDLINE_ERR_VALIDATION', 'unsubscribe_device needs {device_id: "<id>"}');
    await this.socket.leave(rooms.device(deviceId));
    if (!this.socket.rooms.has(rooms.organizationTelemetry(principal.organizationId))) this.coalescer.forget(deviceId);
    return { ok: true };
  }

  private async organizationTelemetry(subscribe: boolean): Promise<AckResult> {
    const principal = await this.current();
    if (!principal) return fail('FIELDLINE_ERR_UNAUTHENTICATED', 'Authenticate before subscribing');
    const room = rooms.organizationTelemetry(principal.organizationId);
    if (!subscribe) {
      await this.socket.leave(room);
      return { ok: true };
    }
    if (!roleAtLeast(principal.role, 'operator')) {
      return fail('FIELDLINE_ERR_FORBIDDEN', 'Telemetry of every device needs the operator role or higher');
    }
    await this.socket.join(room);
    return { ok: true };
  }

  private deviceSubscriptions(): number {
    let n = 0;
    for (const room of this.socket.rooms) if (room.startsWith('device:')) n++;
    return n;
  }
}

/** Packets waiting in the socket's engine.io queue (typed private there; read-only use). */
export const queuedPackets = (socket: FieldlineSocket): number =>
  (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;

function deviceIdOf(request: unknown): string | null {
  const id =
    typeof request === 'string'
      ? request
      : request && typeof request === 'object' && 'device_id' in request
        ? (request as { device_id: unknown }).device_id
        : null;
  return typeof id === 'string' && id !== '' && id.length <= MAX_DEVICE_ID_LENGTH ? id : null;
}
