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

/** What this node's presence tracker knows of a device: newer than the row when it says anything. */
export interface LivePresence {
  status?: 'online' | 'offline' | undefined;
  lastSeen?: number | undefined;
}

type DeviceViewBody = ReturnType<typeof render>;

/**
 * Views already rendered, by row object: a cached row is the same object until its entry is dropped, and a warm
 * read then skips the two JSON.parse and the date formatting. Rows are never changed in place (a change loads a
 * new row), and a view is never changed after it is made (callers spread it into new objects).
 */
const rendered = new WeakMap<DeviceRow, DeviceViewBody>();

/** Renders a device row; live presence (newer than the last batched write) wins over the row. */
export function deviceView(d: DeviceRow, live: LivePresence = {}): DeviceViewBody {
  let base = rendered.get(d);
  if (base === undefined) {
    base = render(d);
    rendered.set(d, base);
  }
  const status = live.status ?? base.status;
  const seenLater = live.lastSeen !== undefined && live.lastSeen > (d.last_seen ?? 0);
  if (status === base.status && !seenLater) return base;
  return { ...base, status, ...(seenLater ? { last_seen: toIso(live.lastSeen as number) } : {}) };
}

const render = (d: DeviceRow) => ({
  id: d.id,
  name: d.name,
  device_type: d.device_type,
  location: d.location,
  active: d.active === 1,
  metadata: JSON.parse(d.metadata) as Record<string, unknown>,
  attributes: JSON.parse(d.attributes) as Record<string, unknown>,
  status: d.status === 'online' ? ('online' as const) : ('offline' as const),
  last_seen: toIsoOrNull(d.last_seen),
  inactivity_timeout_s: d.inactivity_timeout_s,
  protocol: d.protocol,
  last_error: d.last_error && d.last_error_at ? { message: d.last_error, at: toIso(d.last_error_at) } : null,
  created_at: toIso(d.created_at),
  updated_at: toIso(d.updated_at),
});
