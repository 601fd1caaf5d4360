import { Type } from 'typebox';
import type { AlertRecord } from '../kernel/events.js';
import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { AlertRow } from './store.js';

type Scalar = number | string | boolean | null;

const parseScalar = (text: string | null): Scalar => {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
  } catch {
    return null;
  }
};

/** A value as stored: JSON text, so a number stays a number and a state stays a string. */
export const storeScalar = (v: unknown): string | null =>
  v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))
    ? null
    : JSON.stringify(typeof v === 'object' ? null : v);

/** The alert as the bus, Socket.IO and MQTT carry it (times epoch ms on the bus). */
export const alertRecord = (r: AlertRow): AlertRecord => ({
  id: r.id,
  rule_id: r.rule_id,
  rule_name: r.rule_name,
  device_id: r.device_id,
  severity: r.severity,
  status: r.status,
  message: r.message,
  value: parseScalar(r.value),
  threshold: parseScalar(r.threshold),
  created_at: r.created_at,
  acknowledged_at: r.acknowledged_at,
  acknowledged_by: r.acknowledged_by,
  notes: r.notes,
  resolved_at: r.resolved_at,
  escalation_level: r.escalation_level,
});

const ScalarSchema = Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]);

export const AlertView = Type.Object({
  id: Type.String(),
  rule_id: Type.String(),
  rule_name: Type.String(),
  device_id: Type.String(),
  device_name: Type.Union([Type.String(), Type.Null()]),
  severity: Type.String(),
  status: Type.String(),
  message: Type.String(),
  value: ScalarSchema,
  threshold: ScalarSchema,
  escalation_level: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
  acknowledged_at: Type.Union([Type.String(), Type.Null()]),
  acknowledged_by: Type.Union([Type.String(), Type.Null()]),
  notes: Type.Union([Type.String(), Type.Null()]),
  resolved_at: Type.Union([Type.String(), Type.Null()]),
  resolved_by: Type.Union([Type.String(), Type.Null()]),
});

/** The alert over HTTP and in MQTT messages (ISO 8601 times). */
export const alertView = (r: AlertRow, deviceName: string | null) => ({
  id: r.id,
  rule_id: r.rule_id,
  rule_name: r.rule_name,
  device_id: r.device_id,
  device_name: deviceName,
  severity: r.severity,
  status: r.status,
  message: r.message,
  value: parseScalar(r.value),
  threshold: parseScalar(r.threshold),
  escalation_level: r.escalation_level,
  created_at: toIso(r.created_at),
  updated_at: toIso(r.updated_at),
  acknowledged_at: toIsoOrNull(r.acknowledged_at),
  acknowledged_by: r.acknowledged_by,
  notes: r.notes,
  resolved_at: toIsoOrNull(r.resolved_at),
  resolved_by: r.resolved_by,
});
