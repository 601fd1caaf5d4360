export { type Clock, systemClock, toIso, toIsoOrNull } from './clock.js';
export {
  conflict,
  ERROR_CATALOGUE,
  type ErrorCode,
  FieldlineError,
  type FieldProblem,
  forbidden,
  invalid,
  notFound,
} from './errors.js';
export { EventBus } from './event-bus.js';
export type { FieldlineEvents } from './events.js';
export { hashSecret, newId, newSecret, safeEqual } from './ids.js';
export { createLogger, type Logger, REDACT_PATHS } from './logger.js';
export type { Lifecycle } from './module.js';
export { startWorkerModule } from './worker-module.js';
