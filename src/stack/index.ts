export { bundleZip } from './bundle-zip.js';
export { registerStackCommands } from './cli.js';
export {
  type Conflict,
  type DetectionReport,
  IntegrationDetector,
  type Recommendation,
} from './integration-detector.js';
export { INTEGRATION_TYPES, IntegrationRegistry } from './integration-registry.js';
export { registerStackRoutes, type StackRouteDeps } from './routes.js';
export { ServiceCatalog } from './service-catalog.js';
export { DEFAULT_SETTINGS, parseSettings, type RawSettings } from './settings.js';
export { type BuildOptions, StackBuilder, type StackBuilderOptions, type StackBundle } from './stack-builder.js';
export type { DashboardProvider } from './stack-context.js';
export type { StackRequest } from './stack-plan.js';
export { findTemplate, STACK_TEMPLATES, type StackTemplate } from './templates.js';
export type { GeneratedFile, IntegrationKind, ServiceDefinition, StackSettings } from './types.js';
