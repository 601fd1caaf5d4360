/**
 * The shapes other domains hand to notifications. The rule engine (alerts) calls
 * `Notifier.enqueueAlertNotifications(alert, actions)`; integrations hand webhook endpoints; the devices
 * domain hands offline notices. Times are epoch milliseconds inside the process.
 */

export const CHANNELS = ['email', 'webhook', 'ntfy'] as const;
export type Channel = (typeof CHANNELS)[number];

/** pending → sending → delivered; sending → failed (retried later) → … → dead after the attempt limit. */
export const OUTBOX_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'dead'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** Alert severities of the rules issue; other strings are rendered neutrally rather than refused. */
export type Severity = 'info' | 'warning' | 'critical';

/** What notifications need to know about an alert (the alerts domain's row, rendered). */
export interface AlertNotice {
  id: string;
  organization_id: string;
  rule_id: string | null;
  /** Null for alerts raised without a rule (rendered as "Alert"). */
  rule_name: string | null;
  device_id: string | null;
  device_name: string | null;
  severity: Severity | (string & {});
  /** active | acknowledged | resolved */
  status: string;
  message: string;
  value: number | string | boolean | null;
  threshold: number | string | boolean | null;
  created_at: number;
  resolved_at?: number | null;
  acknowledged_at?: number | null;
  acknowledged_by?: string | null;
}

/**
 * Why the engine notifies: raised and resolved are the lifecycle; reminder is a `repeat_every` while
 * unacknowledged, escalated an `escalate_after`. Each is a separate email/webhook with its own
 * `X-Fieldline-Event`.
 */
export const ALERT_EVENTS = [
  'alert.raised',
  'alert.resolved',
  'alert.acknowledged',
  'alert.reminder',
  'alert.escalated',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export interface DeviceOfflineNotice {
  organization_id: string;
  device_id: string;
  device_name: string;
  /** Last message from the device, if any. */
  last_seen_at: number | null;
  offline_since: number;
}

export interface EmailTarget {
  recipients: string[];
}

export type WebhookMethod = 'POST' | 'PUT' | 'PATCH';

export type WebhookAuth = { type: 'bearer'; token: string } | { type: 'api_key'; header?: string; key: string };

/** A webhook given inline (a rule action, the test endpoint). */
export interface WebhookEndpoint {
  url: string;
  method?: WebhookMethod;
  headers?: Record<string, string>;
  auth?: WebhookAuth;
  /**
   * JSON to send instead of the default body. String values may hold `{{path}}` placeholders
   * (`{{alert.severity}}`, `{{device_name}}`, …); a string that is exactly one placeholder keeps the value's type.
   */
  payload_template?: unknown;
}

/** Either an inline endpoint or a webhook integration (issue 8), resolved when sending. */
export type WebhookTarget = WebhookEndpoint | { integration_id: string };

export interface NtfyTarget {
  /** Default https://ntfy.sh */
  server?: string;
  topic: string;
  /** Access token for protected topics. */
  token?: string;
}

export type EmailAction = { type: 'email' } & EmailTarget;
export type WebhookAction = { type: 'webhook' } & WebhookTarget;
export type NtfyAction = { type: 'ntfy' } & NtfyTarget;
/** A rule action that notifies. Other action types (`alert`) and extra keys (`repeat_every`) are ignored here. */
export type NotifyAction = EmailAction | WebhookAction | NtfyAction;

export type ChannelTarget =
  | { channel: 'email'; target: EmailTarget }
  | { channel: 'webhook'; target: WebhookTarget }
  | { channel: 'ntfy'; target: NtfyTarget };

/** The figures of one organization's day, for the daily summary email. */
export interface DailySummaryData {
  organization_id: string;
  organization_name: string;
  from: number;
  to: number;
  /**
   * Where the alert figures come from: `alerts` once the alerts domain provides them, `notifications` while
   * they are derived from the alert notifications this module sent.
   */
  source: 'alerts' | 'notifications';
  alerts: {
    raised: number;
    resolved: number;
    /** Open at the end of the window; null when the source cannot tell. */
    open: number | null;
    by_severity: Record<string, number>;
    top_devices: { device_id: string | null; device_name: string | null; count: number }[];
  };
  notifications: { delivered: number; failed: number; dead: number; pending: number };
}

export type DailySummarySource = (organizationId: string, from: number, to: number) => Promise<DailySummaryData>;

/** The alert figures of one organization's window, from the alerts domain (which the outbox cannot see whole). */
export type AlertFigures = (organizationId: string, from: number, to: number) => Promise<DailySummaryData['alerts']>;

/** Looks up a webhook integration's endpoint (with its secrets) when a notification is sent; issue 8 provides it. */
export type WebhookIntegrationResolver = (
  organizationId: string,
  integrationId: string,
) => Promise<WebhookEndpoint | null>;
