import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { roleAtLeast } from '../../../src/auth/roles.js';
import type { ServerToClientEvents } from '../../../src/realtime/events.js';
import type { FieldlineApi } from '../api/fieldline-api.js';
import { connectRealtime, type RealtimeSocket } from '../api/realtime.js';
import type { Me, Role } from '../api/types.js';

export type LiveState = 'connecting' | 'live' | 'offline';

export interface Session {
  me: Me;
  api: FieldlineApi;
  socket: RealtimeSocket;
  live: LiveState;
  /** Whether the user's role admits what a route of that minimum role does. */
  can: (minimum: Role) => boolean;
  logout: (reason?: string) => void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside of a logged-in page');
  return s;
}

interface ProviderProps {
  me: Me;
  api: FieldlineApi;
  token: () => string | null;
  logout: (reason?: string) => void;
  children: ReactNode;
}

/** The logged-in user, the API, and the session's one Socket.IO connection. */
export function SessionProvider({ me, api, token, logout, children }: ProviderProps) {
  const [socket] = useState(() => connectRealtime(token));
  const [live, setLive] = useState<LiveState>('connecting');

  useEffect(() => {
    const up = () => setLive('live');
    const down = () => setLive('offline');
    const refused = (p: { message: string }) => logout(`Live updates stopped: ${p.message}. Log in again.`);
    socket.on('connect', up);
    socket.on('disconnect', down);
    socket.on('connect_error', down);
    socket.on('unauthorized', refused);
    if (socket.connected) up();
    return () => {
      socket.off('connect', up);
      socket.off('disconnect', down);
      socket.off('connect_error', down);
      socket.off('unauthorized', refused);
    };
  }, [socket, logout]);

  useEffect(() => {
    socket.connect();
    return () => {
      socket.disconnect();
    };
  }, [socket]);

  const value: Session = { me, api, socket, live, logout, can: (minimum) => roleAtLeast(me.role, minimum) };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

type EventName = keyof ServerToClientEvents;

/** Calls the handler for every event of that name while the component is shown. */
export function useRealtimeEvent<E extends EventName>(event: E, handler: ServerToClientEvents[E]): void {
  const { socket } = useSession();
  const current = useRef(handler);
  useEffect(() => {
    current.current = handler;
  });
  useEffect(() => {
    const listener = ((...args: unknown[]) =>
      (current.current as (...a: unknown[]) => void)(...args)) as ServerToClientEvents[E];
    // socket.io's typed `on` does not narrow a generic event name; the listener has the event's own type.
    (socket.on as (e: E, l: ServerToClientEvents[E]) => void)(event, listener);
    return () => {
      (socket.off as (e: E, l: ServerToClientEvents[E]) => void)(event, listener);
    };
  }, [socket, event]);
}

/** Runs a handler after every (re)connection of the session's socket, and once now if connected. */
export function useOnConnect(handler: () => void): void {
  useConnectListener(handler, true);
}

/**
 * Runs a handler after every connection of the session's socket made while the component is shown: events
 * pushed while it was not connected were missed, so what the component loaded may be out of date. (A socket
 * already connected when the component mounts missed nothing since.)
 */
export function useReconnected(handler: () => void): void {
  useConnectListener(handler, false);
}

function useConnectListener(handler: () => void, nowIfConnected: boolean): void {
  const { socket } = useSession();
  const current = useRef(handler);
  useEffect(() => {
    current.current = handler;
  });
  useEffect(() => {
    const listener = () => current.current();
    socket.on('connect', listener);
    if (nowIfConnected && socket.connected) listener();
    return () => {
      socket.off('connect', listener);
    };
  }, [socket, nowIfConnected]);
}
