import type { Clock } from '../kernel/index.js';
import type { NtfyMessage } from './content.js';
import { OutboundError, type OutboundHttp } from './outbound-http.js';
import { renderTemplate } from './payload-template.js';
import type { RateLimiter } from './rate-limiter.js';
import { errorText, type SendResult } from './send-result.js';
import { signPayload } from './signature.js';
import { SsrfRefusal } from './ssrf-guard.js';
import { DEFAULT_NTFY_SERVER, MASK } from './targets.js';
import type { NtfyTarget, WebhookEndpoint } from './types.js';

/** Largest webhook body Fieldline sends; a bigger one is refused, not truncated. */
export const MAX_PAYLOAD_BYTES = 1_048_576;

export interface HttpSenderOptions {
  http: OutboundHttp;
  /** Per-URL rate limit (FIELDLINE_WEBHOOK_RATE_LIMIT sends per second per URL). */
  limiter: RateLimiter;
  clock: Clock;
}

const rateKey = (url: URL) => `${url.origin}${url.pathname}`;

function answer(res: { status: number; snippet: string; retryAfterMs: number | null; redirects: number }): SendResult {
  if (res.status >= 200 && res.status < 300)
    return {
      ok: true,
      status: res.status,
      detail: `HTTP ${res.status}${res.redirects ? ` after ${res.redirects} redirect(s)` : ''}`,
    };
  const snippet = res.snippet.replace(/\s+/g, ' ').trim().slice(0, 200);
  return {
    ok: false,
    status: res.status,
    error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`,
    permanent: false,
    ...(res.retryAfterMs === null ? {} : { retryAfterMs: res.retryAfterMs }),
  };
}

/** Receivers sometimes echo the request in an error page: no secret of ours may come back in last_error. */
function scrubbed(result: SendResult, secrets: readonly string[]): SendResult {
  if (result.ok) return result;
  let error = result.error;
  for (const secret of secrets) if (secret.length >= 4) error = error.split(secret).join(MASK);
  return { ...result, error };
}

function failure(err: unknown): SendResult {
  if (err instanceof SsrfRefusal) return { ok: false, error: err.message, permanent: true };
  if (err instanceof OutboundError) return { ok: false, error: err.message, permanent: err.permanent };
  return { ok: false, error: errorText(err), permanent: false };
}

/**
 * Signed webhooks: the body (default document or the endpoint's payload template) is signed as
 * `sha256=HMAC(secret, "{timestamp}.{body}")` with the organization's signing secret, and sent with
 * X-Fieldline-Event, X-Fieldline-Delivery (the notification id, the same on every retry) and
 * X-Fieldline-Timestamp.
 */
export class WebhookSender {
  constructor(private readonly o: HttpSenderOptions & { signingSecret: (organizationId: string) => Promise<string> }) {}

  async send(
    organizationId: string,
    endpoint: WebhookEndpoint,
    document: Record<string, unknown>,
    deliveryId: string,
    event: string,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    let url: URL;
    try {
      url = new URL(endpoint.url);
    } catch {
      return { ok: false, error: `not a valid URL: ${endpoint.url.slice(0, 200)}`, permanent: true };
    }
    const body = JSON.stringify(
      endpoint.payload_template === undefined ? document : renderTemplate(endpoint.payload_template, document),
    );
    const size = Buffer.byteLength(body);
    if (size > MAX_PAYLOAD_BYTES)
      return { ok: false, error: `payload is ${size} bytes; the limit is ${MAX_PAYLOAD_BYTES}`, permanent: true };
    const wait = this.o.limiter.take(rateKey(url));
    if (wait > 0) return { ok: false, error: 'rate limited', permanent: false, rateLimitedMs: wait };
    const timestamp = Math.floor(this.o.clock.now() / 1000);
    const headers: Record<string, string> = { ...(endpoint.headers ?? {}) };
    const credentialHeaders = Object.keys(headers);
    if (endpoint.auth?.type === 'bearer') {
      headers.authorization = `Bearer ${endpoint.auth.token}`;
      credentialHeaders.push('authorization');
    } else if (endpoint.auth?.type === 'api_key') {
      const name = endpoint.auth.header ?? 'X-API-Key';
      headers[name] = endpoint.auth.key;
      credentialHeaders.push(name);
    }
    const authSecret = endpoint.auth ? (endpoint.auth.type === 'bearer' ? endpoint.auth.token : endpoint.auth.key) : '';
    let secret = '';
    try {
      secret = await this.o.signingSecret(organizationId);
      const res = await this.o.http.send(
        {
          url: url.href,
          method: endpoint.method ?? 'POST',
          headers: {
            ...headers,
            'content-type': 'application/json',
            'x-fieldline-event': event,
            'x-fieldline-delivery': deliveryId,
            'x-fieldline-timestamp': String(timestamp),
            'x-fieldline-signature': signPayload(secret, timestamp, body),
          },
          body,
          credentialHeaders,
        },
        signal,
      );
      return scrubbed(answer(res), [secret, authSecret, ...Object.values(headers)]);
    } catch (err) {
      return scrubbed(failure(err), [secret, authSecret, ...Object.values(headers)]);
    }
  }
}

/** ntfy (https://docs.ntfy.sh/publish/#publish-as-json): JSON to the server root, topic in the body. */
export class NtfySender {
  constructor(private readonly o: HttpSenderOptions) {}

  async send(target: NtfyTarget, message: NtfyMessage, signal?: AbortSignal): Promise<SendResult> {
    const server = (target.server ?? DEFAULT_NTFY_SERVER).replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(`${server}/`);
    } catch {
      return { ok: false, error: `not a valid ntfy server URL: ${server.slice(0, 200)}`, permanent: true };
    }
    const wait = this.o.limiter.take(`${rateKey(url)}#${target.topic}`);
    if (wait > 0) return { ok: false, error: 'rate limited', permanent: false, rateLimitedMs: wait };
    try {
      const res = await this.o.http.send(
        {
          url: url.href,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
          },
          body: JSON.stringify({ topic: target.topic, ...message }),
          credentialHeaders: ['authorization'],
        },
        signal,
      );
      return scrubbed(answer(res), target.token ? [target.token] : []);
    } catch (err) {
      return scrubbed(failure(err), target.token ? [target.token] : []);
    }
  }
}
