/**
 * The one map of domain events → payloads. The event bus, the realtime gateway and the web UI all import
 * these types, so an event's shape is defined exactly once. Times are epoch milliseconds inside the process;
 * the edges (HTTP, Socket.IO) render them as ISO 8601.
 */
export interface AuditRecordedEvent {
  organization_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
}

export type TelemetryScalar = number | boolean | string;
export type TelemetryJson = { [key: string]: unknown } | unknown[];

/** Points of one device committed to storage (emitted after the commit, never before). */
export interface TelemetryIngestedEvent {
  organization_id: string;
  device_id: string;
  device_type: string;
  /** Where the points came from: mqtt, http, thingsboard, sparkplug, integration. */
  source: string;
  readings: { ts: number; key: string; value: TelemetryScalar | TelemetryJson }[];
  received_at: number;
}

export interface DeviceStatusEvent {
  organization_id: string;
  device_id: string;
  status: 'online' | 'offline';
  ts: number;
  /** Why: connect, disconnect, will, status_message, data, inactivity. */
  reason: string;
}

export interface DeviceUpdatedEvent {
  organization_id: string;
  device_id: string;
  /** `credentials`: a new access token replaced the old one. */
  action: 'created' | 'updated' | 'deleted' | 'credentials';
}

/** A notification's delivery state changed (delivered, failed and due again, dead). */
export interface NotificationUpdatedEvent {
  organization_id: string;
  id: string;
  channel: string;
  event: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed' | 'dead';
  attempts: number;
  alert_id: string | null;
  error: string | null;
}

/** A command to a device was created or changed state; `error` says why it failed, timed out or expired. */
export interface CommandUpdatedEvent {
  organization_id: string;
  device_id: string;
  id: string;
  name: string;
  status: 'pending' | 'delivered' | 'succeeded' | 'failed' | 'timed_out' | 'expired';
  family: string | null;
  error: string | null;
  ts: number;
}

/** An alert as the bus carries it (times epoch ms). The HTTP API and Socket.IO render the times as ISO 8601. */
export interface AlertRecord {
  id: string;
  rule_id: string | null;
  rule_name: string | null;
  device_id: string | null;
  /** info, warning, critical (the rules engine owns the list). */
  severity: string;
  /** active, acknowledged, resolved (the alert lifecycle owns the list). */
  status: string;
  message: string;
  value: TelemetryScalar | null;
  threshold: TelemetryScalar | null;
  created_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  /** Notes given when acknowledging or resolving. Always set by the alert lifecycle. */
  notes?: string | null;
  /** Escalations applied so far (`escalate_after` actions). Always set by the alert lifecycle. */
  escalation_level?: number;
}

/** An alert was raised (alert.raised) or changed: acknowledged, resolved, escalated (alert.updated). */
export interface AlertEvent {
  organization_id: string;
  alert: AlertRecord;
}

export interface FieldlineEvents {
  'audit.recorded': AuditRecordedEvent;
  'telemetry.ingested': TelemetryIngestedEvent;
  'device.status': DeviceStatusEvent;
  'device.updated': DeviceUpdatedEvent;
  'command.updated': CommandUpdatedEvent;
  'notification.updated': NotificationUpdatedEvent;
  'alert.raised': AlertEvent;
  'alert.updated': AlertEvent;
}
