import { Type } from 'typebox';
import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { DeviceRow } from './store.js';

export const DeviceView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  device_type: Type.String(),
  location: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  last_seen: Type.Union([Type.String(), Type.Null()]),
  inactivity_timeout_s: Type.Union([Type.Integer(), Type.Null()]),
  protocol: Type.Union([Type.String(), Type.Null()]),
  last_error: Type.Union([Type.Object({ message: Type.String(), at: Type.String() }), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export interface LivePresence {
  status?: 'online' | 'offline';
  lastSeen?: number;
}

/** Renders a device row; live presence (newer than the last batched write) wins over the row. */
export const deviceView = (d: DeviceRow, live: LivePresence = {}) => ({
  id: d.id,
  name: d.name,
  device_type: d.device_type,
  location: d.location,
  active: d.active === 1,
  metadata: JSON.parse(d.metadata) as Record<string, unknown>,
  attributes: JSON.parse(d.attributes) as Record<string, unknown>,
  status: live.status ?? (d.status === 'online' ? ('online' as const) : ('offline' as const)),
  last_seen: toIsoOrNull(live.lastSeen && live.lastSeen > (d.last_seen ?? 0) ? live.lastSeen : d.last_seen),
  inactivity_timeout_s: d.inactivity_timeout_s,
  protocol: d.protocol,
  last_error: d.last_error && d.last_error_at ? { message: d.last_error, at: toIso(d.last_error_at) } : null,
  created_at: toIso(d.created_at),
  updated_at: toIso(d.updated_at),
});
