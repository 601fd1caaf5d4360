import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { AlertRecord } from '../../src/kernel/events.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/realtime/index.js';

/** A socket.io-client socket typed with the shared event maps, as the web UI types its own. */
export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type EventName = keyof ServerToClientEvents;
type PayloadOf<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/** Opens sockets the way users do and closes them all in afterEach. */
export class SocketPool {
  private readonly sockets: ClientSocket[] = [];

  open(url: string, options: Partial<ManagerOptions & SocketOptions> = {}): ClientSocket {
    // reconnection: false so a refused socket does not retry behind the test's back.
    const socket: ClientSocket = io(url, { reconnection: false, ...options });
    this.sockets.push(socket);
    return socket;
  }

  /** Connects with a token in handshake.auth and resolves once the server accepted it. */
  async connect(url: string, token: string, options: Partial<ManagerOptions & SocketOptions> = {}) {
    const socket = this.open(url, { auth: { token }, ...options });
    await connected(socket);
    return socket;
  }

  closeAll(): void {
    for (const s of this.sockets.splice(0)) s.disconnect();
  }
}

export function connected(socket: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}

/** Resolves with the connect_error a refused socket gets: its message and catalogue code. */
export function refusal(socket: ClientSocket): Promise<{ message: string; code: unknown }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('the server accepted the socket')));
    socket.once('connect_error', (err) =>
      resolve({ message: err.message, code: (err as Error & { data?: { code?: unknown } }).data?.code }),
    );
  });
}

/** The next event of that name (matching the predicate, if given). */
export function nextEvent<E extends EventName>(
  socket: ClientSocket,
  event: E,
  predicate: (payload: PayloadOf<E>) => boolean = () => true,
): Promise<PayloadOf<E>> {
  return new Promise((resolve) => {
    const listener = (payload: PayloadOf<E>) => {
      if (!predicate(payload)) return;
      socket.off(event, listener as never);
      resolve(payload);
    };
    socket.on(event, listener as never);
  });
}

/** Everything a socket receives, in order. */
export function record(socket: ClientSocket): { event: string; payload: unknown }[] {
  const seen: { event: string; payload: unknown }[] = [];
  socket.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
  return seen;
}

export function disconnection(socket: ClientSocket): Promise<string> {
  return new Promise((resolve) => {
    if (!socket.connected) return resolve('not connected');
    socket.once('disconnect', (reason) => resolve(reason));
  });
}

let alertSeq = 0;

/** An alert as the rules engine hands it to the bus (times epoch ms). */
export function sampleAlert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  alertSeq++;
  return {
    id: `alert-${alertSeq}-${Date.now()}`,
    rule_id: 'rule-1',
    rule_name: 'High temperature',
    device_id: null,
    severity: 'critical',
    status: 'active',
    message: 'temperature 91.5 > 90',
    value: 91.5,
    threshold: 90,
    created_at: Date.UTC(2026, 0, 1, 12, 0, 0),
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    ...overrides,
  };
}
