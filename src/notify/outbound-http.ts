import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { type SsrfGuard, SsrfRefusal } from './ssrf-guard.js';

export const OUTBOUND_TIMEOUT_MS = 10_000;
export const MAX_REDIRECTS = 3;
/** Kept of a receiver's answer, for last_error and the test endpoint. */
const RESPONSE_SNIPPET_BYTES = 2048;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface OutboundRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  /** Header names (lower case) that are dropped when a redirect leaves the original origin. */
  credentialHeaders?: readonly string[];
}

export interface OutboundResponse {
  status: number;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: number;
  snippet: string;
  /** From Retry-After on 429/503. */
  retryAfterMs: number | null;
}

/** A transport-level failure: no usable answer (timeout, refused connection, redirect loop). */
export class OutboundError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundHttpOptions {
  guard: SsrfGuard;
  timeoutMs?: number;
  maxRedirects?: number;
  userAgent: string;
}

/**
 * HTTP(S) to user-chosen URLs, for webhooks and ntfy. Every connection resolves its host through the SSRF
 * guard's lookup, so it goes to the address that was checked; literal addresses are checked up front;
 * redirects are followed by hand, each hop re-checked, at most three; TLS certificates are verified; one
 * timeout bounds the whole exchange.
 */
export class OutboundHttp {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxRedirects: number;

  constructor(private readonly o: OutboundHttpOptions) {
    this.timeoutMs = o.timeoutMs ?? OUTBOUND_TIMEOUT_MS;
    this.maxRedirects = o.maxRedirects ?? MAX_REDIRECTS;
    this.agent = new Agent({
      connect: {
        lookup: o.guard.lookup as unknown as LookupFunction,
        timeout: this.timeoutMs,
        rejectUnauthorized: true,
      },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  async send(req: OutboundRequest, signal?: AbortSignal): Promise<OutboundResponse> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let url = this.o.guard.checkUrl(req.url);
    const origin = url.origin;
    let method = req.method;
    let body = req.body;
    const headers: Record<string, string> = { 'user-agent': this.o.userAgent, ...lowerKeys(req.headers) };
    for (let hop = 0; ; hop++) {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, { method: method as 'POST', headers, body, dispatcher: this.agent, signal: combined });
      } catch (err) {
        throw this.explain(err, timeout, signal);
      }
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(res.statusCode) && typeof location === 'string') {
        await res.body.dump();
        if (hop >= this.maxRedirects)
          throw new OutboundError(`gave up after ${this.maxRedirects} redirects (last to ${location})`, true);
        let next: URL;
        try {
          next = this.o.guard.checkUrl(new URL(location, url));
        } catch (err) {
          if (err instanceof SsrfRefusal) throw new SsrfRefusal(`redirect ${hop + 1}: ${err.reason}`, err.target);
          throw err;
        }
        // As browsers do: credentials meant for one origin never follow a redirect to another.
        if (next.origin !== origin) for (const h of req.credentialHeaders ?? []) delete headers[h.toLowerCase()];
        if (res.statusCode === 303) {
          method = 'GET';
          body = null;
          delete headers['content-type'];
        }
        url = next;
        continue;
      }
      let snippet = '';
      try {
        snippet = await readSnippet(res.body);
      } catch {
        // The status is the answer; an unreadable body does not change it.
      }
      return {
        status: res.statusCode,
        url: url.href,
        redirects: hop,
        snippet,
        retryAfterMs: retryAfterOf(res.headers['retry-after']),
      };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private explain(err: unknown, timeout: AbortSignal, outer?: AbortSignal): Error {
    const refusal = findRefusal(err);
    if (refusal) return refusal;
    if (timeout.aborted && !outer?.aborted)
      return new OutboundError(`no answer within ${this.timeoutMs / 1000} s`, false);
    if (outer?.aborted) return new OutboundError('aborted', false);
    const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    const code = e.cause?.code ?? e.code;
    const message = e.cause?.message ?? e.message ?? String(err);
    return new OutboundError(code && !message.includes(code) ? `${code}: ${message}` : message, false);
  }
}

function findRefusal(err: unknown): SsrfRefusal | null {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof SsrfRefusal) return e;
  }
  return null;
}

const lowerKeys = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

async function readSnippet(body: AsyncIterable<Buffer | string> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(b);
    size += b.length;
    if (size >= RESPONSE_SNIPPET_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString('utf8');
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), capped at one hour. */
export function retryAfterOf(header: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return null;
  const ms = /^\d+$/.test(v.trim()) ? Number(v.trim()) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 3_600_000) : null;
}
