export { alertFigures } from './daily-figures.js';
export { type AlertTiming, type FollowUpHandler, FollowUps } from './follow-ups.js';
export { AlertLifecycle, type AlertLifecycleDeps, type AlertPublisher } from './lifecycle.js';
export { type AlertRouteDeps, registerAlertRoutes } from './routes.js';
export { ALERT_STATUSES, type AlertFilter, type AlertRow, type AlertStatus, AlertStore } from './store.js';
export { AlertView, alertRecord, alertView } from './views.js';
