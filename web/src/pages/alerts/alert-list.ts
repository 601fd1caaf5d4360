import type { AlertPayload } from '../../api/realtime.js';
import type { Alert } from '../../api/types.js';

/** The filters of the alerts page, as the API takes them ('' = any). */
export interface AlertFilter {
  status: '' | 'active' | 'acknowledged' | 'resolved' | 'open';
  severity: '' | 'info' | 'warning' | 'critical';
  device_id: string;
}

export const NO_FILTER: AlertFilter = { status: '', severity: '', device_id: '' };

export function matchesFilter(a: Pick<Alert, 'status' | 'severity' | 'device_id'>, f: AlertFilter): boolean {
  if (f.status === 'open' ? a.status === 'resolved' : f.status !== '' && a.status !== f.status) return false;
  if (f.severity !== '' && a.severity !== f.severity) return false;
  if (f.device_id !== '' && a.device_id !== f.device_id) return false;
  return true;
}

/**
 * A Socket.IO alert as the list shows it. The event carries the alert without the API's device_name,
 * updated_at and resolved_by: they are kept from the row already shown, or filled in as well as known.
 */
export function alertFromEvent(p: AlertPayload, shown: Alert | undefined): Alert {
  const latest = [p.resolved_at, p.acknowledged_at, p.created_at].find((t): t is string => typeof t === 'string');
  return {
    id: p.id,
    rule_id: p.rule_id ?? shown?.rule_id ?? '',
    rule_name: p.rule_name ?? shown?.rule_name ?? '',
    device_id: p.device_id ?? shown?.device_id ?? '',
    device_name: shown?.device_name ?? null,
    severity: p.severity,
    status: p.status,
    message: p.message,
    value: p.value,
    threshold: p.threshold,
    escalation_level: p.escalation_level ?? shown?.escalation_level ?? 0,
    created_at: p.created_at,
    updated_at: latest ?? shown?.updated_at ?? p.created_at,
    acknowledged_at: p.acknowledged_at,
    acknowledged_by: p.acknowledged_by,
    notes: p.notes ?? shown?.notes ?? null,
    resolved_at: p.resolved_at,
    resolved_by: shown?.resolved_by ?? (p.resolved_at ? 'auto' : null),
  };
}

/**
 * The list after a live `alert` or `alert_update`: a new alert that matches the filters goes on top (newest
 * first — ids are time-ordered UUIDv7), a changed one is replaced in place, and one that no longer matches
 * (acknowledged while the page shows only active alerts) leaves the list.
 */
export function applyAlertEvent(list: Alert[], payload: AlertPayload, filter: AlertFilter): Alert[] {
  return upsertAlert(
    list,
    alertFromEvent(
      payload,
      list.find((a) => a.id === payload.id),
    ),
    filter,
  );
}

/** The list with this version of an alert (from an event or from the API's answer to an action). */
export function upsertAlert(list: Alert[], alert: Alert, filter: AlertFilter): Alert[] {
  const i = list.findIndex((a) => a.id === alert.id);
  const keep = matchesFilter(alert, filter);
  if (i >= 0) {
    if (!keep) return list.filter((a) => a.id !== alert.id);
    const next = list.slice();
    next[i] = alert;
    return next;
  }
  if (!keep) return list;
  const at = list.findIndex((a) => a.id < alert.id);
  return at < 0 ? [...list, alert] : [...list.slice(0, at), alert, ...list.slice(at)];
}
