import type { AlertRecord, DeviceStatusEvent, DeviceUpdatedEvent, TelemetryIngestedEvent } from '../kernel/events.js';
import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { AlertPayload, DeviceStatusPayload, DeviceUpdatePayload, TelemetryUpdatePayload } from './events.js';

/**
 * One `telemetry_update` per instant of a device message: a message of {ts, values} gives one, an array of
 * several timestamps gives one per timestamp, in the order the device sent them.
 */
export function telemetryUpdates(event: TelemetryIngestedEvent): TelemetryUpdatePayload[] {
  const byTs = new Map<number, TelemetryUpdatePayload['values']>();
  for (const r of event.readings) {
    let values = byTs.get(r.ts);
    if (!values) {
      values = {};
      byTs.set(r.ts, values);
    }
    values[r.key] = r.value;
  }
  const updates: TelemetryUpdatePayload[] = [];
  for (const [ts, values] of byTs) updates.push({ device_id: event.device_id, ts: toIso(ts), values });
  return updates;
}

export const deviceStatusPayload = (event: DeviceStatusEvent): DeviceStatusPayload => ({
  device_id: event.device_id,
  status: event.status,
  ts: toIso(event.ts),
  reason: event.reason,
});

export const deviceUpdatePayload = (event: DeviceUpdatedEvent): DeviceUpdatePayload => ({
  device_id: event.device_id,
  action: event.action,
});

export const alertPayload = (alert: AlertRecord): AlertPayload => ({
  ...alert,
  created_at: toIso(alert.created_at),
  acknowledged_at: toIsoOrNull(alert.acknowledged_at),
  resolved_at: toIsoOrNull(alert.resolved_at),
});

/**
 * Folds a newer update of the same device into an older one that is still waiting for a lagging socket:
 * every key keeps its newest value, and the update takes the newest timestamp. ISO 8601 UTC strings of the
 * same format order as text, so no parsing is needed.
 */
export function mergeTelemetry(older: TelemetryUpdatePayload, newer: TelemetryUpdatePayload): TelemetryUpdatePayload {
  if (newer.ts >= older.ts)
    return { device_id: older.device_id, ts: newer.ts, values: { ...older.values, ...newer.values } };
  // Out of order (a device back-filling old points): older keys must not overwrite the newer values.
  return { device_id: older.device_id, ts: older.ts, values: { ...newer.values, ...older.values } };
}
