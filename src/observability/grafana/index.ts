export { registerGrafanaCommands } from './cli.js';
export { alertsAndRules, deviceOverview, fieldlineDashboards, platform, telemetry } from './dashboards.js';
export { isSql, type PromTarget, type SqlTarget, type Target, targetsOf } from './panels.js';
export {
  dashboardFiles,
  fieldlineDashboardProvider,
  grafanaProvisioning,
  type ProvisioningOptions,
  provisioningZip,
  writeProvisioning,
} from './provisioning.js';
export { registerGrafanaRoutes } from './routes.js';
