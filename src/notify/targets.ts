import { type Static, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import type { FieldProblem } from '../kernel/index.js';
import type {
  Channel,
  ChannelTarget,
  EmailTarget,
  NtfyTarget,
  WebhookAuth,
  WebhookEndpoint,
  WebhookTarget,
} from './types.js';

/** What is shown instead of a secret, in every response and log line. */
export const MASK = '***';

const HeaderName = Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$" });
// No CR/LF: a header value must not smuggle a second header into the request.
const HeaderValue = Type.String({ pattern: '^[^\\r\\n]*$', maxLength: 4000 });

export const EmailTargetSchema = Type.Object(
  { recipients: Type.Array(Type.String({ format: 'email', maxLength: 254 }), { minItems: 1, maxItems: 50 }) },
  { additionalProperties: false },
);

export const WebhookAuthSchema = Type.Union([
  Type.Object(
    { type: Type.Literal('bearer'), token: Type.String({ minLength: 1, maxLength: 4000 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('api_key'),
      header: Type.Optional(HeaderName),
      key: Type.String({ minLength: 1, maxLength: 4000 }),
    },
    { additionalProperties: false },
  ),
]);

export const WebhookEndpointSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')])),
    headers: Type.Optional(Type.Record(Type.String(), HeaderValue)),
    auth: Type.Optional(WebhookAuthSchema),
    payload_template: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const WebhookIntegrationTargetSchema = Type.Object(
  { integration_id: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const WebhookTargetSchema = Type.Union([WebhookEndpointSchema, WebhookIntegrationTargetSchema]);

export const NtfyTargetSchema = Type.Object(
  {
    server: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    topic: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  },
  { additionalProperties: false },
);

export const TARGET_SCHEMAS: Record<Channel, TSchema> = {
  email: EmailTargetSchema,
  webhook: WebhookTargetSchema,
  ntfy: NtfyTargetSchema,
};

export const DEFAULT_NTFY_SERVER = 'https://ntfy.sh';
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'content-type']);

/** Problems with a target for a channel, each naming its field (`target.recipients.0`). */
export function targetProblems(channel: Channel, target: unknown, prefix = 'target'): FieldProblem[] {
  // A webhook is one of two shapes; checking only the one meant gives errors about the fields the user wrote.
  const schema =
    channel === 'webhook' && target !== null && typeof target === 'object' && 'integration_id' in target
      ? WebhookIntegrationTargetSchema
      : channel === 'webhook'
        ? WebhookEndpointSchema
        : TARGET_SCHEMAS[channel];
  if (!Value.Check(schema, target)) {
    const seen = new Set<string>();
    const problems: FieldProblem[] = [];
    for (const e of Value.Errors(schema, target)) {
      const field = [prefix, ...e.instancePath.split('/').filter(Boolean)].join('.');
      const message =
        e.keyword === 'additionalProperties'
          ? `unknown field(s) ${JSON.stringify((e.params as { additionalProperties?: string[] }).additionalProperties ?? [])}`
          : (e.message ?? e.keyword);
      if (e.keyword === 'boolean' || seen.has(field + message)) continue;
      seen.add(field + message);
      problems.push({ field, message });
    }
    return problems.length ? problems : [{ field: prefix, message: `is not a valid ${channel} target` }];
  }
  if (channel === 'webhook' && 'url' in (target as object)) {
    const headers = (target as WebhookEndpoint).headers ?? {};
    const problems: FieldProblem[] = [];
    for (const name of Object.keys(headers)) {
      const n = name.toLowerCase();
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(name))
        problems.push({ field: `${prefix}.headers.${name}`, message: 'is not a valid header name' });
      else if (FORBIDDEN_HEADERS.has(n) || n.startsWith('x-fieldline-'))
        problems.push({ field: `${prefix}.headers.${name}`, message: 'is set by Fieldline and cannot be overridden' });
    }
    return problems;
  }
  return [];
}

/** A target as stored: the part that may be shown, and the secret part that is sealed. */
export interface SplitTarget {
  shown: Record<string, unknown>;
  secret: Record<string, unknown> | null;
}

/**
 * Separates what may be listed from what must be sealed: webhook auth and custom header values, ntfy tokens.
 * Header names stay visible (values masked) so a user can see what is configured.
 */
export function splitTarget(t: ChannelTarget): SplitTarget {
  switch (t.channel) {
    case 'email':
      return { shown: { recipients: [...t.target.recipients] }, secret: null };
    case 'webhook': {
      if ('integration_id' in t.target) return { shown: { integration_id: t.target.integration_id }, secret: null };
      const { url, method, headers, auth, payload_template } = t.target;
      const secret: Record<string, unknown> = {};
      if (headers && Object.keys(headers).length) secret.headers = headers;
      if (auth) secret.auth = auth;
      return {
        shown: {
          url,
          method: method ?? 'POST',
          ...(headers && Object.keys(headers).length ? { header_names: Object.keys(headers) } : {}),
          ...(auth
            ? { auth_type: auth.type, ...(auth.type === 'api_key' ? { auth_header: auth.header ?? 'X-API-Key' } : {}) }
            : {}),
          ...(payload_template === undefined ? {} : { payload_template }),
        },
        secret: Object.keys(secret).length ? secret : null,
      };
    }
    case 'ntfy': {
      const { server, topic, token } = t.target;
      return { shown: { server: server ?? DEFAULT_NTFY_SERVER, topic }, secret: token ? { token } : null };
    }
  }
}

/** The full target again, for sending. */
export function joinTarget(channel: Channel, shown: Record<string, unknown>, secret: Record<string, unknown> | null) {
  switch (channel) {
    case 'email':
      return { channel, target: { recipients: shown.recipients as string[] } satisfies EmailTarget };
    case 'webhook': {
      if (typeof shown.integration_id === 'string')
        return { channel, target: { integration_id: shown.integration_id } satisfies WebhookTarget };
      const endpoint: WebhookEndpoint = {
        url: shown.url as string,
        method: (shown.method as WebhookEndpoint['method']) ?? 'POST',
      };
      if (secret?.headers) endpoint.headers = secret.headers as Record<string, string>;
      if (secret?.auth) endpoint.auth = secret.auth as WebhookAuth;
      if (shown.payload_template !== undefined) endpoint.payload_template = shown.payload_template;
      return { channel, target: endpoint satisfies WebhookTarget };
    }
    case 'ntfy':
      return {
        channel,
        target: {
          server: shown.server as string,
          topic: shown.topic as string,
          ...(secret?.token ? { token: secret.token as string } : {}),
        } satisfies NtfyTarget,
      };
  }
}

/** The target as an API answer shows it: every secret replaced by ***. */
export function maskedTarget(shown: Record<string, unknown>, hasSecret: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = { ...shown };
  if (typeof view.url === 'string') view.url = maskUrl(view.url);
  if (Array.isArray(shown.header_names)) {
    view.headers = Object.fromEntries((shown.header_names as string[]).map((h) => [h, MASK]));
    delete view.header_names;
  }
  if (typeof shown.auth_type === 'string') {
    view.auth =
      shown.auth_type === 'bearer'
        ? { type: 'bearer', token: MASK }
        : { type: 'api_key', header: shown.auth_header, key: MASK };
    delete view.auth_type;
    delete view.auth_header;
  }
  if (hasSecret && typeof shown.topic === 'string') view.token = MASK;
  return view;
}

/** A URL's password (user:pass@host) is a secret too. */
export function maskUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = MASK;
    return u.href;
  } catch {
    return raw;
  }
}

export type EmailTargetInput = Static<typeof EmailTargetSchema>;
