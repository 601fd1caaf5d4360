export { type AuditEntry, AuditLog, type AuditRow } from './audit-log.js';
export { registerAuditRoutes } from './routes.js';
