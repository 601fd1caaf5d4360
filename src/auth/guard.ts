import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FieldlineError } from '../kernel/index.js';
import type { Authenticator } from './authenticator.js';
import type { Principal } from './principal.js';
import { isRole, type Role, roleAtLeast } from './roles.js';

/** What a route admits: anyone, any member with at least this role, or platform administrators only. */
export type RouteAuth = 'public' | Role | 'platform_admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const unauthenticated = () =>
  new FieldlineError('FIELDLINE_ERR_UNAUTHENTICATED', 'Send Authorization: Bearer <access token or API key>');

export function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Authenticates and authorizes every request before its body is read. A route under /api/v1 that forgets
 * to declare `config.auth` fails at startup rather than being served open.
 */
export function installAuthGuard(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    const auth = (route.config as { auth?: unknown } | undefined)?.auth;
    if (url.startsWith('/api/v1') && !url.startsWith('/api/v1/docs') && auth === undefined) {
      throw new Error(`Route ${String(route.method)} ${url} does not declare config.auth`);
    }
  });
  // A callback hook: authentication is synchronous when the credential's user and membership are cached, and
  // then no promise is made for it at all.
  app.addHook('onRequest', (request, _reply, done) => {
    const auth = request.routeOptions.config.auth;
    if (auth === undefined || auth === 'public') return done();
    const bearer = bearerOf(request);
    if (bearer === null) return done(unauthenticated());
    let found: Principal | Promise<Principal>;
    try {
      found = authenticator.authenticate(bearer);
    } catch (err) {
      return done(err as Error);
    }
    if (found instanceof Promise)
      found.then(
        (principal) => done(admit(request, principal, auth)),
        (err: Error) => done(err),
      );
    else done(admit(request, found, auth));
  });
}

/** Records the caller on the request; the error to answer when its role does not reach the route's. */
function admit(request: FastifyRequest, principal: Principal, auth: Exclude<RouteAuth, 'public'>): Error | undefined {
  request.principal = principal;
  request.log = request.log.child({ org: principal.organizationId, actor: principal.id });
  if (auth === 'platform_admin') {
    if (!principal.isPlatformAdmin)
      return new FieldlineError('FIELDLINE_ERR_FORBIDDEN', 'Platform administrators only');
  } else if (isRole(auth) && !roleAtLeast(principal.role, auth)) {
    return new FieldlineError(
      'FIELDLINE_ERR_FORBIDDEN',
      `This needs the ${auth} role or higher; you have ${principal.role}`,
    );
  }
  return undefined;
}

/** The authenticated caller of a route that is not public. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated();
  return request.principal;
}
