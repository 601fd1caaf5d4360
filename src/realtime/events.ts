/**
 * The Socket.IO contract at `/socket.io/`: every event a client receives or may send, with its payload. The
 * gateway types its server with these maps and the web UI types its client with the same file:
 *
 *   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { auth: { token } });
 *
 * Times are ISO 8601 UTC strings, as everywhere at Fieldline's edges. The payloads are built from the bus
 * events of src/kernel/events.ts by src/realtime/payloads.ts, so a bus shape and its wire shape stay in step.
 *
 * Its imports stay free of Node: the web UI type-checks this file without Node's types (hence kernel/errors.js,
 * not kernel/index.js).
 */
import type { ErrorCode } from '../kernel/errors.js';
import type { AlertRecord, DeviceStatusEvent, DeviceUpdatedEvent, TelemetryIngestedEvent } from '../kernel/events.js';

type ReadingValue = TelemetryIngestedEvent['readings'][number]['value'];

/** New values of one device at one instant; one event per device message (readings grouped by their ts). */
export interface TelemetryUpdatePayload {
  device_id: string;
  ts: string;
  values: Record<string, ReadingValue>;
}

/** A device went online or offline; `reason` says why (connect, disconnect, will, status_message, data, inactivity). */
export interface DeviceStatusPayload {
  device_id: string;
  status: DeviceStatusEvent['status'];
  ts: string;
  reason: string;
}

/** A device of the organization was created, changed or deleted in the registry. */
export interface DeviceUpdatePayload {
  device_id: string;
  action: DeviceUpdatedEvent['action'];
}

type AlertTimes = 'created_at' | 'acknowledged_at' | 'resolved_at';

/** An alert as raised (`alert`) or changed (`alert_update`): acknowledged, resolved, escalated. */
export type AlertPayload = Omit<AlertRecord, AlertTimes> & {
  created_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
};

/** Sent just before the server disconnects a socket for an authentication reason (no token in time, expiry). */
export interface UnauthorizedPayload {
  code: ErrorCode;
  message: string;
}

/**
 * Answer to every client request that takes an acknowledgement callback. `code` is a catalogue code
 * (FIELDLINE_ERR_NOT_FOUND, FIELDLINE_ERR_FORBIDDEN, …) and `error` says why in words.
 */
export type AckResult = { ok: true } | { ok: false; code: ErrorCode; error: string };

/** Answer to `authenticate`: who the socket now acts as. */
export type AuthenticateResult =
  | { ok: true; organization_id: string; role: string }
  | { ok: false; code: ErrorCode; error: string };

/**
 * Integration connection state; the event is specified by the integrations issue and sent through
 * RealtimeGateway.broadcastToOrganization, so its payload is left open here.
 */
export type IntegrationStatusPayload = Record<string, unknown>;

export interface ServerToClientEvents {
  telemetry_update: (payload: TelemetryUpdatePayload) => void;
  device_status: (payload: DeviceStatusPayload) => void;
  device_update: (payload: DeviceUpdatePayload) => void;
  alert: (payload: AlertPayload) => void;
  alert_update: (payload: AlertPayload) => void;
  integration_status: (payload: IntegrationStatusPayload) => void;
  unauthorized: (payload: UnauthorizedPayload) => void;
}

export interface DeviceRequest {
  device_id: string;
}

export interface ClientToServerEvents {
  /** Authenticate after connecting (instead of `auth: {token}`), or renew a token before it expires. */
  authenticate: (request: { token: string }, ack?: (result: AuthenticateResult) => void) => void;
  /** Receive `telemetry_update` for one device of the organization. */
  subscribe_device: (request: DeviceRequest, ack?: (result: AckResult) => void) => void;
  unsubscribe_device: (request: DeviceRequest, ack?: (result: AckResult) => void) => void;
  /** Receive `telemetry_update` for every device of the organization (operator and up). */
  subscribe_org_telemetry: (ack?: (result: AckResult) => void) => void;
  unsubscribe_org_telemetry: (ack?: (result: AckResult) => void) => void;
}

/** Telemetry of one bus event, as handed from the node that ingested it to the other nodes. */
export interface TelemetryHandoff {
  organization_id: string;
  updates: TelemetryUpdatePayload[];
}

/** Between Fieldline nodes (over the Redis adapter): telemetry handed to every node for local delivery. */
export interface InterServerEvents {
  'fieldline:telemetry': (batch: TelemetryHandoff[]) => void;
}

/** What a socket carries about its principal; serializable, so other nodes can read it through the adapter. */
export interface SocketData {
  organizationId: string | null;
  role: string | null;
  principalId: string | null;
}

/** The events the gateway emits to a whole organization room. */
export type OrganizationEventName = Exclude<keyof ServerToClientEvents, 'telemetry_update' | 'unauthorized'>;

/** Room names: one per organization (every authenticated socket), per device, and per organization-wide feed. */
export const rooms = {
  organization: (organizationId: string) => `org:${organizationId}`,
  device: (deviceId: string) => `device:${deviceId}`,
  organizationTelemetry: (organizationId: string) => `org-telemetry:${organizationId}`,
} as const;
