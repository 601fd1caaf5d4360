import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import helmet from 'helmet';
import { FieldlineError, type Logger, newId } from '../kernel/index.js';
import { sendProblem } from './problem.js';
import { lazyRequestLogger } from './request-logger.js';
import { ProblemSchema } from './schemas.js';
import { validatorCompiler } from './validation.js';
import { registerWebUi, type WebUiLocation } from './web-ui.js';

export type Http = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface HttpOptions {
  log: Logger;
  bodyLimit: number;
  version: string;
  /** The built browser UI served at `/` (a page saying how to build it when it is missing). */
  webUi: WebUiLocation;
}

/** Fastify with Fieldline's conventions: strict validation, problem+json errors, security headers, OpenAPI. */
export async function createHttpServer(options: HttpOptions): Promise<Http> {
  const app = Fastify({
    loggerInstance: options.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    genReqId: () => newId(),
    childLoggerFactory: lazyRequestLogger,
    requestIdHeader: 'x-request-id',
    // One debug line per request (onResponse below) instead of two info lines: ingest traffic would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    // Long-lived Socket.IO and MQTT-over-WebSocket connections must not hold shutdown forever.
    forceCloseConnections: true,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler((err, request, reply) => sendProblem(request, reply, err));
  // `Content-Type: application/json` with no body (a POST that needs none, sent the usual curl way) is a request
  // without a body, not malformed JSON; any other body goes to Fastify's own parser and its poisoning checks.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else void json(request, body as string, done);
  });
  // Set below, once the UI's static routes are registered; until then every unknown path is a problem.
  let uiFallback: Awaited<ReturnType<typeof registerWebUi>> = () => null;
  app.setNotFoundHandler(
    (request, reply) =>
      uiFallback(request, reply) ??
      sendProblem(
        request,
        reply,
        new FieldlineError('FIELDLINE_ERR_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
      ),
  );
  app.addSchema(ProblemSchema);
  // Hooks on every request take a callback rather than returning a promise: a few microseconds each, on a
  // warm API read of ~50.
  app.addHook('onResponse', (request, reply, done) => {
    // The fields are built only when the line is written: loggableUrl splits the URL.
    if ((request.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('debug') ?? true)
      request.log.debug(
        { method: request.method, url: loggableUrl(request), status: reply.statusCode, ms: reply.elapsedTime },
        'request',
      );
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    // API answers carry tenant data: never let a shared cache keep them.
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  // Security headers from helmet, built once. (@fastify/helmet rebuilt helmet's middleware — parsing the CSP
  // directives — on every request: 9% of a warm API request.)
  const pageHeaders = staticHeaders(
    helmet({
      // The docs UI and the web UI load their own scripts and styles only (no inline script anywhere); the docs
      // UI needs inline styles. The web UI talks to its own origin: fetch, Socket.IO over polling and WebSocket.
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'", 'ws:', 'wss:'],
          // Fieldline serves plain HTTP unless a proxy adds TLS: helmet's default upgrade-insecure-requests would
          // make a browser that reached it at http://192.168.x.y fetch the UI's scripts over https and fail.
          upgradeInsecureRequests: null,
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  // JSON answers of the API get the headers that protect a JSON answer (OWASP REST Security Cheat Sheet,
  // "Security headers"): nothing may be loaded or framed by it, no sniffing it into HTML, HSTS, no referrer,
  // no cross-origin reads. Helmet's headers for documents (XSS auditor, IE download options, DNS prefetch,
  // Flash policies, origin agent clusters, opener policy) say nothing to a JSON body, and each header is paid
  // for on every request.
  const apiHeaders = staticHeaders(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginOpenerPolicy: false,
      crossOriginEmbedderPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const api = url.startsWith('/api/v1/') && !url.startsWith('/api/v1/docs');
    void reply.headers(api ? apiHeaders : pageHeaders);
    done();
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Fieldline API', version: options.version, description: 'Industrial IoT platform API' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'User access token or API key' } },
      },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs', staticCSP: true });
  app.get('/api/v1/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  uiFallback = await registerWebUi(app, options.webUi);
  return app;
}

/**
 * The headers a helmet middleware sets, read once from a stand-in response. Fieldline's helmet configuration
 * has no per-request part (no CSP nonce), so every response gets the same headers; handing them to Fastify as
 * one object costs a fraction of running helmet's twelve middlewares per request (measured: 9% of a warm read).
 */
function staticHeaders(
  middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void,
): Record<string, string> {
  const headers: Record<string, string> = {};
  let failed: unknown = null;
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  middleware({ headers: {}, url: '/', method: 'GET' } as IncomingMessage, res as unknown as ServerResponse, (err) => {
    failed = err ?? null;
  });
  if (failed) throw failed;
  return headers;
}

/**
 * The URL as it may be logged: a device access token in the path (`/api/v1/{token}/telemetry`, ThingsBoard
 * style) is a credential, so path parameters named `token` are blanked; the query string is dropped.
 */
function loggableUrl(request: { url: string; params: unknown }): string {
  const path = request.url.split('?')[0] ?? '';
  const token = (request.params as { token?: unknown } | null)?.token;
  return typeof token === 'string' && token
    ? path.split(encodeURIComponent(token)).join('[redacted]').split(token).join('[redacted]')
    : path;
}
