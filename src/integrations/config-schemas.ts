import { type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import type { FieldProblem } from '../kernel/index.js';
import { targetProblems } from '../notify/index.js';
import { compileTopic, TopicPatternError } from './mqtt/topic-filter.js';
import type { IntegrationType } from './types.js';

const Pem = Type.String({ minLength: 1, maxLength: 20_000 });
const QosSchema = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]);

export const MqttBrokerSchema = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    use_tls: Type.Optional(Type.Boolean()),
    verify_cert: Type.Optional(Type.Boolean()),
    username: Type.Optional(Type.String({ maxLength: 1000 })),
    password: Type.Optional(Type.String({ maxLength: 4000 })),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    keep_alive: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    clean_session: Type.Optional(Type.Boolean()),
    protocol_version: Type.Optional(
      Type.Union([
        Type.Literal(3),
        Type.Literal(4),
        Type.Literal(5),
        Type.Literal('3.1'),
        Type.Literal('3.1.1'),
        Type.Literal('5'),
        Type.Literal('5.0'),
      ]),
    ),
    ca_cert: Type.Optional(Pem),
    client_cert: Type.Optional(Pem),
    client_key: Type.Optional(Pem),
    client_key_passphrase: Type.Optional(Type.String({ maxLength: 1000 })),
    servername: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    session_expiry_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
    receive_maximum: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    maximum_packet_size: Type.Optional(Type.Integer({ minimum: 1024, maximum: 268_435_455 })),
    connect_timeout_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 120_000 })),
    reconnect_min_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    reconnect_max_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
);

export const MqttTopicsSchema = Type.Object(
  {
    prefix: Type.Optional(Type.String({ maxLength: 1000 })),
    pattern: Type.Optional(Type.String({ maxLength: 1000 })),
    use_shared: Type.Optional(Type.Boolean()),
    shared_group: Type.Optional(Type.String({ pattern: '^[^/+#]{1,100}$' })),
    qos: Type.Optional(QosSchema),
  },
  { additionalProperties: false },
);

export const MqttConfigSchema = Type.Object(
  { broker: MqttBrokerSchema, topics: Type.Optional(MqttTopicsSchema) },
  { additionalProperties: false },
);

export const GoliothConfigSchema = Type.Object(
  {
    project_id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$' }),
    api_key: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    api_url: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    webhook_secret: Type.Optional(Type.String({ minLength: 16, maxLength: 500 })),
    device_id_prefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{0,40}$' })),
    device_type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    create_devices: Type.Optional(Type.Boolean()),
    path_prefix_keys: Type.Optional(Type.Boolean()),
    rpc_timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
  },
  { additionalProperties: false },
);

const SCHEMAS: Record<Exclude<IntegrationType, 'webhook'>, TSchema> = {
  mqtt: MqttConfigSchema,
  golioth: GoliothConfigSchema,
};

/** Schema errors as field problems (`config.broker.port`), one per field and message. */
export function schemaProblems(schema: TSchema, value: unknown, prefix: string): FieldProblem[] {
  if (Value.Check(schema, value)) return [];
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const e of Value.Errors(schema, value)) {
    const field = [prefix, ...e.instancePath.split('/').filter(Boolean)].join('.');
    const message =
      e.keyword === 'additionalProperties'
        ? `unknown field(s) ${JSON.stringify((e.params as { additionalProperties?: string[] }).additionalProperties ?? [])}`
        : (e.message ?? e.keyword);
    if (e.keyword === 'boolean' || e.keyword === 'anyOf' || seen.has(field + message)) continue;
    seen.add(field + message);
    problems.push({ field, message });
  }
  return problems.length ? problems : [{ field: prefix, message: 'is not valid' }];
}

const MQTT_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:', 'tls:'];

/** Everything wrong with a complete (merged, unmasked) configuration of a type; empty when it can be used. */
export function configProblems(type: IntegrationType, config: unknown): FieldProblem[] {
  if (type === 'webhook') return targetProblems('webhook', config, 'config');
  const problems = schemaProblems(SCHEMAS[type], config, 'config');
  if (problems.length) return problems;
  if (type === 'mqtt') return mqttProblems(config as Record<string, Record<string, unknown>>);
  return goliothProblems(config as Record<string, unknown>);
}

function mqttProblems(config: Record<string, Record<string, unknown>>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const broker = config.broker ?? {};
  const topics = config.topics ?? {};
  if (typeof broker.url === 'string') {
    try {
      const u = new URL(broker.url);
      if (!MQTT_SCHEMES.includes(u.protocol))
        problems.push({ field: 'config.broker.url', message: 'must start with mqtt://, mqtts://, ws:// or wss://' });
      else if (!u.hostname) problems.push({ field: 'config.broker.url', message: 'has no host' });
      if (broker.host !== undefined || broker.port !== undefined)
        problems.push({ field: 'config.broker.url', message: 'give either url, or host and port — not both' });
    } catch {
      problems.push({ field: 'config.broker.url', message: 'is not a URL (mqtt://host:1883, mqtts://host:8883, …)' });
    }
  } else if (typeof broker.host !== 'string') {
    problems.push({ field: 'config.broker.host', message: 'is required (or give broker.url)' });
  } else if (/[\s/]/.test(broker.host)) {
    problems.push({ field: 'config.broker.host', message: 'is a host name or address, not a URL' });
  }
  if ((broker.client_cert === undefined) !== (broker.client_key === undefined))
    problems.push({ field: 'config.broker.client_key', message: 'client_cert and client_key go together' });
  for (const field of ['ca_cert', 'client_cert'] as const) {
    const pem = broker[field];
    if (typeof pem === 'string' && !pem.includes('-----BEGIN CERTIFICATE-----'))
      problems.push({
        field: `config.broker.${field}`,
        message: 'is not a PEM certificate (-----BEGIN CERTIFICATE-----)',
      });
  }
  if (typeof broker.client_key === 'string' && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(broker.client_key))
    problems.push({ field: 'config.broker.client_key', message: 'is not a PEM private key' });
  const min = (broker.reconnect_min_ms as number | undefined) ?? 1000;
  const max = (broker.reconnect_max_ms as number | undefined) ?? 30_000;
  if (min > max) problems.push({ field: 'config.broker.reconnect_min_ms', message: 'is above reconnect_max_ms' });
  if (topics.use_shared === true && typeof topics.shared_group !== 'string')
    problems.push({ field: 'config.topics.shared_group', message: 'is required when use_shared is true' });
  if (typeof topics.pattern === 'string') {
    try {
      compileTopic(typeof topics.prefix === 'string' ? topics.prefix : '', topics.pattern);
    } catch (err) {
      if (!(err instanceof TopicPatternError)) throw err;
      problems.push({ field: 'config.topics.pattern', message: err.message });
    }
  }
  return problems;
}

function goliothProblems(config: Record<string, unknown>): FieldProblem[] {
  if (typeof config.api_url !== 'string') return [];
  try {
    const u = new URL(config.api_url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      return [{ field: 'config.api_url', message: 'must be an http(s) URL' }];
    if (u.username || u.password) return [{ field: 'config.api_url', message: 'must not hold credentials' }];
  } catch {
    return [{ field: 'config.api_url', message: 'is not a URL' }];
  }
  return [];
}

/**
 * The configuration as stored: protocol versions as numbers, a broker URL's credentials moved to
 * username/password (so the URL can be shown), trailing slashes off the Golioth API URL.
 */
export function normalizeConfig(type: IntegrationType, config: Record<string, unknown>): Record<string, unknown> {
  if (type === 'golioth' && typeof config.api_url === 'string')
    return { ...config, api_url: config.api_url.replace(/\/+$/, '') };
  if (type !== 'mqtt') return config;
  const broker = { ...(config.broker as Record<string, unknown>) };
  const pv = broker.protocol_version;
  if (pv === '3.1') broker.protocol_version = 3;
  else if (pv === '3.1.1') broker.protocol_version = 4;
  else if (pv === '5' || pv === '5.0') broker.protocol_version = 5;
  if (typeof broker.url === 'string') {
    try {
      const u = new URL(broker.url);
      if (u.username && broker.username === undefined) broker.username = decodeURIComponent(u.username);
      if (u.password && broker.password === undefined) broker.password = decodeURIComponent(u.password);
      if (u.username || u.password) {
        u.username = '';
        u.password = '';
        broker.url = u.href;
      }
    } catch {
      // Refused by configProblems.
    }
  }
  return { ...config, broker };
}
