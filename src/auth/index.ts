export { AccountService, generatePassword } from './accounts.js';
export { registerApiKeyRoutes } from './api-key-routes.js';
export { API_KEY_PATTERN, looksLikeApiKey } from './api-keys.js';
export { Authenticator } from './authenticator.js';
export {
  ADMIN_PASSWORD_FILE,
  type BootstrapResult,
  bootstrapFirstAdmin,
  ensureDefaultOrganization,
} from './bootstrap.js';
export { bearerOf, installAuthGuard, principalOf, type RouteAuth } from './guard.js';
export { LoginLimiter } from './login-limiter.js';
export { registerOrganizationRoutes } from './organization-routes.js';
export { hashPassword, verifyPassword } from './passwords.js';
export type { Principal } from './principal.js';
export { isRole, ROLES, type Role, roleAtLeast } from './roles.js';
export { type AuthRouteDeps, registerAuthRoutes } from './routes.js';
export { AuthStore } from './store.js';
export { TokenService } from './tokens.js';
export { registerUserRoutes } from './user-routes.js';
