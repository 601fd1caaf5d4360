import type { EventBus, FieldlineEvents } from '../kernel/index.js';
import { CACHE_SPECS, type CacheLayer } from './cache-layer.js';

/**
 * Invalidations driven by domain events rather than by the writer itself: a commit of telemetry makes the
 * device's latest values stale (announced to other nodes once per event-loop turn, not once per message),
 * a deleted device takes its latest values with it, and a raised or changed alert changes the alert counts.
 */
export function wireCacheInvalidation(bus: EventBus<FieldlineEvents>, caches: CacheLayer): () => void {
  const latest = caches.cache(CACHE_SPECS.latest);
  const alertCounts = caches.cache(CACHE_SPECS.alertCounts);
  // Counts are kept per organization and over all of them (key `*`, for /metrics).
  const alertChanged = (e: { organization_id: string }) => {
    alertCounts.invalidateSoon(e.organization_id);
    alertCounts.invalidateSoon('*');
  };
  const offs = [
    bus.on('alert.raised', alertChanged),
    bus.on('alert.updated', alertChanged),
    bus.on('telemetry.ingested', (e) => latest.invalidateSoon(e.device_id)),
    bus.on('device.updated', (e) => (e.action === 'deleted' ? latest.invalidateSoon(e.device_id) : undefined)),
  ];
  return () => {
    for (const off of offs) off();
  };
}
