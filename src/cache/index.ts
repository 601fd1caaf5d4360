export {
  type Cache,
  type CacheCounters,
  type CacheSpec,
  type InvalidationListener,
  type InvalidationOrigin,
  type LoadOptions,
  TieredCache,
} from './cache.js';
export { CACHE_SPECS, CacheLayer, type CacheLayerOptions } from './cache-layer.js';
export { LruMap } from './lru.js';
export { wireCacheInvalidation } from './wiring.js';
