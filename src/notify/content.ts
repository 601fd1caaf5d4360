import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { AlertEvent, AlertNotice, DailySummaryData, DeviceOfflineNotice } from './types.js';

/** What a notification says, before it is rendered for a channel. */
export type NotificationContent =
  | { kind: 'alert'; event: AlertEvent; alert: AlertNotice }
  | { kind: 'device_offline'; device: DeviceOfflineNotice }
  | { kind: 'daily_summary'; summary: DailySummaryData }
  | { kind: 'test'; requested_by: string; at: number }
  | { kind: 'message'; subject: string; message: string; severity: string; at: number };

export function eventOf(content: NotificationContent): string {
  switch (content.kind) {
    case 'alert':
      return content.event;
    case 'device_offline':
      return 'device.offline';
    case 'daily_summary':
      return 'summary.daily';
    case 'test':
      return 'notification.test';
    case 'message':
      return 'message';
  }
}

/** Facts kept beside the rendered payload, for lists and the daily summary. */
export interface ContentMeta {
  severity: string | null;
  device_id: string | null;
  device_name: string | null;
}

export function metaOf(content: NotificationContent): ContentMeta {
  switch (content.kind) {
    case 'alert':
      return {
        severity: content.alert.severity,
        device_id: content.alert.device_id,
        device_name: content.alert.device_name,
      };
    case 'device_offline':
      return { severity: null, device_id: content.device.device_id, device_name: content.device.device_name };
    case 'message':
      return { severity: content.severity, device_id: null, device_name: null };
    case 'daily_summary':
    case 'test':
      return { severity: null, device_id: null, device_name: null };
  }
}

export const alertView = (a: AlertNotice) => ({
  id: a.id,
  rule_id: a.rule_id,
  rule_name: a.rule_name,
  device_id: a.device_id,
  device_name: a.device_name,
  severity: a.severity,
  status: a.status,
  message: a.message,
  value: a.value,
  threshold: a.threshold,
  created_at: toIso(a.created_at),
  acknowledged_at: toIsoOrNull(a.acknowledged_at),
  acknowledged_by: a.acknowledged_by ?? null,
  resolved_at: toIsoOrNull(a.resolved_at),
});

/**
 * The JSON document a webhook receives by default (and the variables a payload template can use). The top
 * level repeats the fields receivers most often want, flat, as the platforms users come from send them.
 */
export function webhookDocument(
  content: NotificationContent,
  deliveryId: string,
  organizationId: string,
): Record<string, unknown> {
  const head = { event: eventOf(content), delivery_id: deliveryId, organization_id: organizationId };
  switch (content.kind) {
    case 'alert': {
      const a = content.alert;
      const at = content.event === 'alert.resolved' ? (a.resolved_at ?? a.created_at) : a.created_at;
      return {
        ...head,
        timestamp: toIso(at),
        device_id: a.device_id,
        device_name: a.device_name,
        rule_id: a.rule_id,
        rule_name: a.rule_name,
        severity: a.severity,
        message: a.message,
        alert: alertView(a),
      };
    }
    case 'device_offline': {
      const d = content.device;
      return {
        ...head,
        timestamp: toIso(d.offline_since),
        device_id: d.device_id,
        device_name: d.device_name,
        last_seen_at: toIsoOrNull(d.last_seen_at),
        offline_since: toIso(d.offline_since),
      };
    }
    case 'daily_summary':
      return {
        ...head,
        timestamp: toIso(content.summary.to),
        summary: { ...content.summary, from: toIso(content.summary.from), to: toIso(content.summary.to) },
      };
    case 'test':
      return {
        ...head,
        timestamp: toIso(content.at),
        message: `Test notification from Fieldline, requested by ${content.requested_by}`,
      };
    case 'message':
      return {
        ...head,
        timestamp: toIso(content.at),
        subject: content.subject,
        message: content.message,
        severity: content.severity,
      };
  }
}

export interface NtfyMessage {
  title: string;
  message: string;
  /** ntfy priorities: 1 min … 3 default … 5 max (urgent, bypasses do-not-disturb on phones). */
  priority: 1 | 2 | 3 | 4 | 5;
  tags: string[];
  click?: string;
}

const NTFY_PRIORITY: Record<string, NtfyMessage['priority']> = { critical: 5, warning: 4, info: 3 };
const NTFY_TAG: Record<string, string> = { critical: 'rotating_light', warning: 'warning', info: 'information_source' };

export function ntfyMessage(content: NotificationContent, publicUrl: string | null): NtfyMessage {
  switch (content.kind) {
    case 'alert': {
      const a = content.alert;
      const resolved = content.event === 'alert.resolved';
      const where = a.device_name ?? a.device_id ?? 'organization';
      const prefix = resolved ? 'Resolved' : content.event === 'alert.reminder' ? 'Reminder' : a.severity.toUpperCase();
      return {
        title: `${prefix}: ${a.rule_name ?? 'Alert'} — ${where}`,
        message: a.message,
        priority: resolved ? 3 : (NTFY_PRIORITY[a.severity] ?? 3),
        tags: [resolved ? 'white_check_mark' : (NTFY_TAG[a.severity] ?? 'bell')],
        ...(publicUrl ? { click: `${publicUrl.replace(/\/$/, '')}/alerts/${encodeURIComponent(a.id)}` } : {}),
      };
    }
    case 'device_offline':
      return {
        title: `Offline: ${content.device.device_name}`,
        message: `${content.device.device_name} stopped reporting${content.device.last_seen_at ? ` (last seen ${toIso(content.device.last_seen_at)})` : ''}.`,
        priority: 4,
        tags: ['electric_plug'],
      };
    case 'daily_summary': {
      const s = content.summary;
      return {
        title: `Daily summary — ${s.organization_name}`,
        message: `${s.alerts.raised} alert(s) raised, ${s.alerts.resolved} resolved in the last 24 h.`,
        priority: 2,
        tags: ['bar_chart'],
      };
    }
    case 'test':
      return {
        title: 'Fieldline test',
        message: `Test notification from Fieldline, requested by ${content.requested_by}.`,
        priority: 3,
        tags: ['white_check_mark'],
      };
    case 'message':
      return {
        title: content.subject,
        message: content.message,
        priority: NTFY_PRIORITY[content.severity] ?? 3,
        tags: [NTFY_TAG[content.severity] ?? 'bell'],
      };
  }
}
