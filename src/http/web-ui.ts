import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Http } from './server.js';

/** Where the built browser UI lives, and whether it is there. */
export interface WebUiLocation {
  /** The folder `vite build` writes: index.html and assets/. */
  root: string;
  built: boolean;
}

// src/http/web-ui.ts and dist/http/web-ui.js are both two levels below the package root.
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The UI built by `npm run build` into dist/web (or the folder given, for tests). */
export function locateWebUi(root: string = join(PACKAGE_ROOT, 'dist', 'web')): WebUiLocation {
  return { root, built: existsSync(join(root, 'index.html')) };
}

/** Paths that belong to the server, never to the single-page app's history routes. */
const SERVER_PATHS = /^\/(api|socket\.io|mqtt|health|metrics)(\/|$)/;

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fieldline — web UI not built</title></head>
<body>
<h1>The Fieldline web UI is not built</h1>
<p>The server is running, but <code>dist/web/</code> has no <code>index.html</code>.
Build the UI with <code>npm run build</code> (<code>npm install</code> runs it too) and restart Fieldline.</p>
<p>The HTTP API is at <a href="/api/v1/docs">/api/v1/docs</a>; health at <a href="/health">/health</a>.</p>
</body></html>
`;

/**
 * Serves the built UI at `/`: hashed assets cached for a year, everything else revalidated. Returns the
 * fallback for unknown GET paths: the app's index.html for a browser navigating to one of the UI's own routes
 * (`/devices/boiler-1` after a reload), or null to let the caller answer its usual 404 problem.
 */
export async function registerWebUi(
  app: Http,
  ui: WebUiLocation,
): Promise<(request: FastifyRequest, reply: FastifyReply) => FastifyReply | null> {
  const wantsPage = (request: FastifyRequest) =>
    (request.method === 'GET' || request.method === 'HEAD') &&
    !SERVER_PATHS.test(request.url) &&
    (request.headers.accept ?? '').includes('text/html');

  if (!ui.built) {
    const notBuilt = (_request: FastifyRequest, reply: FastifyReply) =>
      reply.status(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT_PAGE);
    app.get('/', { schema: { hide: true } }, notBuilt);
    return (request, reply) => (wantsPage(request) ? notBuilt(request, reply) : null);
  }

  // Read once: the UI does not change under a running server (a rebuild needs a restart to be served anyway,
  // since the asset routes are listed at start).
  const index = readFileSync(join(ui.root, 'index.html'));
  await app.register(fastifyStatic, {
    root: ui.root,
    // One route per built file, listed at start: unknown paths fall through to the 404 handler below, so
    // /api/v1/… keeps answering problem+json instead of a static 404.
    wildcard: false,
    decorateReply: false,
    schemaHide: true,
    cacheControl: false,
    setHeaders: (res, path) => {
      // Vite names assets by content hash: they never change under the same name.
      res.setHeader(
        'cache-control',
        path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return (request, reply) =>
    wantsPage(request)
      ? reply.status(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index)
      : null;
}
