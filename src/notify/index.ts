export type { NotificationContent } from './content.js';
export { renderEmail, SEVERITY_COLOURS } from './email-templates.js';
export { type NotificationsConfig, type NotificationsDeps, NotificationsModule } from './module.js';
export type { ActionResult, EnqueueRequest, EnqueueResult, Notifier, TestResult } from './notifier.js';
export { type NotificationRouteDeps, registerNotificationRoutes } from './routes.js';
export { SIGNATURE_TOLERANCE_S, signPayload, verifyPayload } from './signature.js';
export { type Resolver, SsrfGuard, SsrfRefusal } from './ssrf-guard.js';
export { MASK, targetProblems } from './targets.js';
export * from './types.js';
