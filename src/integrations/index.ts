export { type IntegrationsDeps, IntegrationsModule } from './module.js';
export { type IntegrationRouteDeps, registerIntegrationRoutes } from './routes.js';
export { MASK } from './secret-fields.js';
export { integrationSecretContext } from './service.js';
export * from './types.js';
