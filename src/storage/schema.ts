import type { Generated } from 'kysely';

/**
 * Table shapes, identical on SQLite and PostgreSQL. Times are epoch milliseconds (bigint) so both dialects
 * compare and index them the same way; booleans are 0/1 integers; JSON documents are text.
 */
export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  password_hash: string;
  is_platform_admin: number;
  disabled: number;
  /** Tokens issued before this instant are refused (password reset logs every session out). */
  password_changed_at: number;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

export interface MembershipsTable {
  user_id: string;
  organization_id: string;
  role: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  name: string;
  role: string;
  prefix: string;
  key_hash: string;
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface AuditLogTable {
  id: string;
  organization_id: string | null;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  details: string | null;
  ip: string | null;
  created_at: number;
}

export interface DevicesTable {
  id: string;
  organization_id: string;
  name: string;
  device_type: string;
  location: string | null;
  active: number;
  metadata: string;
  attributes: string;
  status: string;
  last_seen: number | null;
  token_hash: string;
  inactivity_timeout_s: number | null;
  protocol: string | null;
  last_error: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface TelemetrySeriesTable {
  id: Generated<number>;
  device_id: string;
  key: string;
}

/** kind: 0 number, 1 boolean (num 0/1), 2 string (str), 3 JSON (str). */
export interface TelemetryTable {
  series_id: number;
  ts: number;
  num: number | null;
  str: string | null;
  kind: number;
}

/** Points committed but not yet merged into `telemetry` (SQLite; see src/telemetry/telemetry-inbox.ts). */
export interface TelemetryInboxTable extends TelemetryTable {
  /** series_id mod INBOX_GROUPS: the unit of a merge. */
  grp: number;
  /** Arrival order; a run of the writer numbers its rows above every row and the copied mark it found. */
  seq: number;
}

/** One row (id 1): inbox rows up to latest_seq are reflected in telemetry_latest. */
export interface TelemetryInboxCopiedTable {
  id: number;
  latest_seq: number;
}

export interface DeviceCommandsTable {
  id: string;
  organization_id: string;
  device_id: string;
  name: string;
  params: string;
  status: string;
  family: string | null;
  timeout_ms: number;
  response: string | null;
  error: string | null;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  delivered_at: number | null;
  completed_at: number | null;
}

export interface NotificationOutboxTable {
  id: string;
  organization_id: string;
  /** email | webhook | ntfy */
  channel: string;
  /** alert.raised, alert.resolved, device.offline, summary.daily, notification.test, message, … */
  event: string;
  /** JSON of the target without its secrets. */
  target: string;
  /** Sealed (SecretBox) JSON of the target's secrets: auth tokens, custom headers. */
  target_secret: string | null;
  /** JSON of the rendered content (email subject/html/text, webhook document, ntfy message). */
  payload: string;
  idempotency_key: string;
  alert_id: string | null;
  /** pending | sending | delivered | failed | dead */
  status: string;
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface MailboxMessagesTable {
  id: string;
  organization_id: string;
  notification_id: string | null;
  from_address: string;
  /** JSON array of addresses. */
  recipients: string;
  subject: string;
  html: string;
  text: string;
  created_at: number;
}

export interface NotificationSettingsTable {
  organization_id: string;
  /** JSON {host, port, secure, require_tls, username, from_address, from_name}, or null for the platform's. */
  smtp: string | null;
  /** Sealed. */
  smtp_password: string | null;
  /** Sealed. */
  signing_secret: string | null;
  signing_secret_rotated_at: number | null;
  /** JSON {enabled, recipients}. */
  daily_summary: string;
  /** JSON {enabled, recipients}. */
  device_offline: string;
  updated_at: number;
}

export interface IntegrationsTable {
  id: string;
  organization_id: string;
  /** mqtt | webhook | golioth */
  type: string;
  name: string;
  /** active | inactive | error */
  status: string;
  /** JSON of the configuration without its secrets. */
  config: string;
  /** Sealed (SecretBox) JSON of the secret fields (passwords, keys, tokens), or null. */
  secrets: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  last_sync_at: number | null;
  sync_status: string | null;
  error_message: string | null;
}

export interface IntegrationSubscriptionsTable {
  id: string;
  integration_id: string;
  organization_id: string;
  name: string;
  topic: string;
  enabled: number;
  description: string | null;
  qos: number | null;
  /** JSON array of actions. */
  actions: string;
  messages_received: number;
  actions_executed: number;
  actions_failed: number;
  last_message_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface IntegrationDeviceLinksTable {
  integration_id: string;
  external_id: string;
  organization_id: string;
  device_id: string;
  created_at: number;
}

export interface RulesTable {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  device_id: string | null;
  device_type: string | null;
  rule_type: string;
  /** JSON, as the user wrote it. */
  conditions: string;
  /** JSON array of actions without their secrets. */
  actions: string;
  /** Sealed JSON of the actions' secrets by index (webhook auth and header values, ntfy tokens). */
  actions_secret: string | null;
  severity: string;
  priority: number;
  enabled: number;
  auto_resolve: number;
  message: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** status: active | acknowledged | resolved; one open (not resolved) alert per rule×device. */
export interface AlertsTable {
  id: string;
  organization_id: string;
  rule_id: string;
  rule_name: string;
  device_id: string;
  severity: string;
  status: string;
  message: string;
  /** JSON of the value that fired and of the threshold it crossed. */
  value: string | null;
  threshold: string | null;
  escalation_level: number;
  created_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  notes: string | null;
  resolved_at: number | null;
  /** 'auto' (the condition cleared), 'system' (rule or device deleted), or who resolved it. */
  resolved_by: string | null;
}

/** A running duration of a rule on a device (condition true since pending_since). */
export interface RuleStateTable {
  rule_id: string;
  device_id: string;
  pending_since: number;
}

export interface Database {
  devices: DevicesTable;
  telemetry_series: TelemetrySeriesTable;
  telemetry: TelemetryTable;
  telemetry_latest: TelemetryTable;
  telemetry_inbox: TelemetryInboxTable;
  telemetry_inbox_copied: TelemetryInboxCopiedTable;
  device_commands: DeviceCommandsTable;
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  notification_outbox: NotificationOutboxTable;
  mailbox_messages: MailboxMessagesTable;
  notification_settings: NotificationSettingsTable;
  rules: RulesTable;
  alerts: AlertsTable;
  rule_state: RuleStateTable;
  integrations: IntegrationsTable;
  integration_subscriptions: IntegrationSubscriptionsTable;
  integration_device_links: IntegrationDeviceLinksTable;
}

export type { Generated };
