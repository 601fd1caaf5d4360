import type { IncomingHttpHeaders } from 'node:http';
import { type ErrorCode, FieldlineError } from '../kernel/index.js';

export interface RefusalReason {
  code: ErrorCode;
  message: string;
}

/**
 * The credential a client offers in its handshake: `auth: {token}` (socket.io-client, python-socketio
 * `auth=`), or an `Authorization: Bearer …` header for clients that can only set headers. Query strings are
 * not read: they end up in proxy logs.
 */
export function handshakeCredential(auth: unknown, headers: IncomingHttpHeaders): string | null {
  if (auth && typeof auth === 'object' && 'token' in auth) {
    const token = (auth as { token: unknown }).token;
    if (typeof token === 'string' && token.trim() !== '') return withoutBearer(token);
  }
  const header = headers.authorization;
  if (typeof header === 'string' && /^bearer\s+\S/i.test(header)) return withoutBearer(header);
  return null;
}

/** The token of an `authenticate` request, or null when the request carries none. */
export function requestCredential(request: unknown): string | null {
  if (typeof request === 'string' && request.trim() !== '') return withoutBearer(request);
  if (request && typeof request === 'object' && 'token' in request) {
    const token = (request as { token: unknown }).token;
    if (typeof token === 'string' && token.trim() !== '') return withoutBearer(token);
  }
  return null;
}

const withoutBearer = (v: string) => v.trim().replace(/^bearer\s+/i, '');

/** What the client is told when authentication fails: the catalogue code and the authenticator's words. */
export function refusalOf(err: unknown): RefusalReason {
  if (err instanceof FieldlineError) return { code: err.code, message: err.message };
  return { code: 'FIELDLINE_ERR_INTERNAL', message: 'Authentication could not be checked; try again' };
}

/**
 * When a user access token expires (epoch ms), read from its `exp` claim; null for API keys and anything
 * else. Only called after the authenticator accepted the token, so the claims are already verified.
 */
export function tokenExpiresAt(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}
