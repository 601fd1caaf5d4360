import { io, type Socket } from 'socket.io-client';
import type {
  AlertPayload,
  ClientToServerEvents,
  DeviceStatusPayload,
  DeviceUpdatePayload,
  ServerToClientEvents,
  TelemetryUpdatePayload,
} from '../../../src/realtime/events.js';
import type { ConnectionStatus } from './types.js';

export type { AlertPayload, DeviceStatusPayload, DeviceUpdatePayload, TelemetryUpdatePayload };

/** The one Socket.IO connection of a session, typed with the server's own event maps. */
export type RealtimeSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * `integration_status` as the integrations module sends it: the connection status of an MQTT integration plus
 * its type and when. (The server types the event's payload as an open record.)
 */
export type IntegrationStatusUpdate = ConnectionStatus & { type: string; at: string | null };

export function asIntegrationStatus(payload: Record<string, unknown>): IntegrationStatusUpdate | null {
  return typeof payload.integration_id === 'string' && typeof payload.connected === 'boolean'
    ? (payload as unknown as IntegrationStatusUpdate)
    : null;
}

/**
 * A socket to the server that served the page. The token is read at every (re)connection, so a reconnect
 * after a network cut presents the session's current token.
 */
export function connectRealtime(token: () => string | null): RealtimeSocket {
  return io({
    path: '/socket.io/',
    // Connected by the session when it mounts, closed when it unmounts.
    autoConnect: false,
    auth: (cb) => cb({ token: token() ?? '' }),
  });
}
