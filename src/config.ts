import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { Cron } from 'croner';

/**
 * Fieldline's whole configuration, read once from the environment (and a `.env` file) into a frozen object.
 * This is the only module that reads process.env; everything else receives a Config.
 */
export interface Config {
  readonly httpHost: string;
  readonly httpPort: number;
  readonly httpBodyLimit: number;
  readonly mqttPort: number;
  readonly mqttsPort: number | null;
  readonly mqttMaxPacketSize: number;
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly redisUrl: string | null;
  readonly mqttUrl: string | null;
  readonly topicPrefix: string;
  readonly secretKey: string | null;
  /**
   * Earlier secret keys (FIELDLINE_SECRET_KEY_PREVIOUS, comma-separated): credentials sealed under them still
   * open, so a new FIELDLINE_SECRET_KEY can be deployed before `fieldline secrets rotate` re-seals everything.
   */
  readonly secretKeyPrevious: readonly string[];
  readonly adminUsername: string;
  readonly adminPassword: string | null;
  readonly smtpUrl: string | null;
  readonly smtpFrom: string;
  readonly logLevel: LogLevel;
  readonly tokenTtlSeconds: number;
  readonly metricsToken: string | null;
  readonly webhookAllow: readonly string[];
  readonly publicUrl: string | null;
  /** Notifications: attempts before a notification is dead (FIELDLINE_NOTIFY_MAX_ATTEMPTS). */
  readonly notifyMaxAttempts: number;
  /** First retry delay; doubles per attempt with jitter, capped at 30 min (FIELDLINE_NOTIFY_RETRY_BASE_MS). */
  readonly notifyRetryBaseMs: number;
  /** How long a worker's claim on a notification lasts without renewal (FIELDLINE_NOTIFY_LEASE_MS). */
  readonly notifyLeaseMs: number;
  /** Notifications sent at once per node (FIELDLINE_NOTIFY_CONCURRENCY). */
  readonly notifyConcurrency: number;
  /** Webhook/ntfy sends per second per URL; 0 = unlimited (FIELDLINE_WEBHOOK_RATE_LIMIT). */
  readonly webhookRateLimit: number;
  /** When daily summaries go out, cron in the server's time zone (FIELDLINE_NOTIFY_SUMMARY_CRON). */
  readonly notifySummaryCron: string;
  /** Browser origins allowed to call Socket.IO cross-origin (FIELDLINE_CORS_ORIGINS, comma-separated, `*` = any). */
  readonly corsOrigins: readonly string[];
  /** How long a Socket.IO connection may stay without authenticating (FIELDLINE_REALTIME_AUTH_TIMEOUT_MS). */
  readonly realtimeAuthTimeoutMs: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Path of the .env file; defaults to `<cwd>/.env`. `false` disables it. */
  envFile?: string | false;
}

type Env = Record<string, string | undefined>;

/** Reads one variable and turns it into a value, or records why it cannot. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string, check?: (v: string) => string | null): string {
    const v = this.raw(name) ?? fallback;
    return this.checked(name, v, check) ?? fallback;
  }

  optional(name: string, check?: (v: string) => string | null): string | null {
    const v = this.raw(name);
    if (v === undefined) return null;
    return this.checked(name, v, check);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name}=${JSON.stringify(v)}: must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  private checked(name: string, v: string, check?: (v: string) => string | null): string | null {
    const why = check?.(v) ?? null;
    if (why !== null) {
      this.problems.push(`${name}=${JSON.stringify(redactIfSecret(name, v))}: ${why}`);
      return null;
    }
    return v;
  }
}

const redactIfSecret = (name: string, v: string): string =>
  /KEY|PASSWORD|SECRET|TOKEN|SMTP_URL|DATABASE_URL|REDIS_URL|MQTT_URL/.test(name) ? '***' : v;

const urlWithScheme =
  (schemes: readonly string[]) =>
  (v: string): string | null => {
    try {
      const u = new URL(v);
      if (!schemes.includes(u.protocol.replace(/:$/, '')))
        return `must start with ${schemes.map((s) => `${s}://`).join(' or ')}`;
      if (!u.hostname) return 'has no host';
      return null;
    } catch {
      return `is not a URL (expected ${schemes.map((s) => `${s}://…`).join(' or ')})`;
    }
  };

const CIDR = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)\/\d{1,3}$/;

const cronProblem = (v: string): string | null => {
  try {
    new Cron(v, { paused: true }).stop();
    return null;
  } catch (err) {
    return `not a cron pattern (${err instanceof Error ? err.message : String(err)})`;
  }
};

function readEnvFile(path: string): Env {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8'));
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const fileEnv = options.envFile === false ? {} : readEnvFile(options.envFile ?? resolve(cwd, '.env'));
  // The real environment wins over the .env file, as in every dotenv tool.
  const env: Env = { ...fileEnv, ...(options.env ?? process.env) };
  const r = new Reader(env);

  const port = (name: string, fallback: number) => r.int(name, fallback, 0, 65535);
  const tlsCert = r.optional('FIELDLINE_TLS_CERT', (v) => (existsSync(resolve(cwd, v)) ? null : 'file not found'));
  const tlsKey = r.optional('FIELDLINE_TLS_KEY', (v) => (existsSync(resolve(cwd, v)) ? null : 'file not found'));
  if ((r.raw('FIELDLINE_TLS_CERT') === undefined) !== (r.raw('FIELDLINE_TLS_KEY') === undefined)) {
    r.problems.push('FIELDLINE_TLS_CERT and FIELDLINE_TLS_KEY: set both or neither');
  }
  const mqttsRaw = r.raw('FIELDLINE_MQTTS_PORT');
  const mqttsPort = mqttsRaw === undefined ? null : port('FIELDLINE_MQTTS_PORT', 8883);
  if (mqttsPort !== null && r.raw('FIELDLINE_TLS_CERT') === undefined) {
    r.problems.push('FIELDLINE_MQTTS_PORT: needs FIELDLINE_TLS_CERT and FIELDLINE_TLS_KEY');
  }
  const dataDirRaw = r.string('FIELDLINE_DATA_DIR', './data');

  const config: Config = {
    httpHost: r.string('FIELDLINE_HTTP_HOST', '0.0.0.0'),
    httpPort: port('FIELDLINE_HTTP_PORT', 8080),
    httpBodyLimit: r.int('FIELDLINE_HTTP_BODY_LIMIT', 1_048_576, 1024, 64 * 1_048_576),
    mqttPort: port('FIELDLINE_MQTT_PORT', 1883),
    mqttsPort,
    mqttMaxPacketSize: r.int('FIELDLINE_MQTT_MAX_PACKET_SIZE', 262_144, 1024, 268_435_455),
    tlsCert: tlsCert === null ? null : resolve(cwd, tlsCert),
    tlsKey: tlsKey === null ? null : resolve(cwd, tlsKey),
    dataDir: isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw),
    databaseUrl: r.optional('FIELDLINE_DATABASE_URL', urlWithScheme(['postgres', 'postgresql'])),
    redisUrl: r.optional('FIELDLINE_REDIS_URL', urlWithScheme(['redis', 'rediss'])),
    mqttUrl: r.optional('FIELDLINE_MQTT_URL', urlWithScheme(['mqtt', 'mqtts', 'ws', 'wss'])),
    topicPrefix: r.string('FIELDLINE_TOPIC_PREFIX', 'fieldline', (v) =>
      /^[A-Za-z0-9_-]{1,64}$/.test(v) ? null : 'one topic level of letters, digits, - or _ (no /, + or #)',
    ),
    secretKey: r.optional('FIELDLINE_SECRET_KEY', (v) => (v.length >= 32 ? null : 'must be at least 32 characters')),
    secretKeyPrevious: (
      r.optional('FIELDLINE_SECRET_KEY_PREVIOUS', (v) =>
        v.split(',').every((k) => k.trim().length >= 32)
          ? null
          : 'each comma-separated key must be at least 32 characters',
      ) ?? ''
    )
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    adminUsername: r.string('FIELDLINE_ADMIN_USERNAME', 'admin', (v) =>
      /^[A-Za-z0-9._@-]{3,64}$/.test(v) ? null : '3 to 64 letters, digits, . _ @ or -',
    ),
    adminPassword: r.optional('FIELDLINE_ADMIN_PASSWORD', (v) =>
      v.length >= 8 ? null : 'must be at least 8 characters',
    ),
    smtpUrl: r.optional('FIELDLINE_SMTP_URL', urlWithScheme(['smtp', 'smtps'])),
    smtpFrom: r.string('FIELDLINE_SMTP_FROM', 'Fieldline <fieldline@localhost>'),
    logLevel: r.string('FIELDLINE_LOG_LEVEL', 'info', (v) =>
      (LOG_LEVELS as readonly string[]).includes(v) ? null : `one of ${LOG_LEVELS.join(', ')}`,
    ) as LogLevel,
    tokenTtlSeconds: r.int('FIELDLINE_TOKEN_TTL', 3600, 60, 30 * 86_400),
    metricsToken: r.optional('FIELDLINE_METRICS_TOKEN'),
    webhookAllow: (
      r.optional('FIELDLINE_WEBHOOK_ALLOW', (v) => {
        const bad = v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s && !CIDR.test(s));
        return bad.length ? `not CIDR: ${bad.join(', ')}` : null;
      }) ?? ''
    )
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    publicUrl: r.optional('FIELDLINE_PUBLIC_URL', urlWithScheme(['http', 'https'])),
    notifyMaxAttempts: r.int('FIELDLINE_NOTIFY_MAX_ATTEMPTS', 12, 1, 100),
    notifyRetryBaseMs: r.int('FIELDLINE_NOTIFY_RETRY_BASE_MS', 5000, 10, 3_600_000),
    notifyLeaseMs: r.int('FIELDLINE_NOTIFY_LEASE_MS', 30_000, 1000, 600_000),
    notifyConcurrency: r.int('FIELDLINE_NOTIFY_CONCURRENCY', 64, 1, 1000),
    webhookRateLimit: r.int('FIELDLINE_WEBHOOK_RATE_LIMIT', 10, 0, 100_000),
    notifySummaryCron: r.string('FIELDLINE_NOTIFY_SUMMARY_CRON', '0 7 * * *', cronProblem),
    corsOrigins: (
      r.optional('FIELDLINE_CORS_ORIGINS', (v) => {
        const bad = v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s && s !== '*' && !/^https?:\/\/[^/\s]+$/.test(s));
        return bad.length ? `not an origin (scheme://host[:port]) or *: ${bad.join(', ')}` : null;
      }) ?? ''
    )
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    realtimeAuthTimeoutMs: r.int('FIELDLINE_REALTIME_AUTH_TIMEOUT_MS', 5000, 100, 60_000),
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze({
    ...config,
    webhookAllow: Object.freeze([...config.webhookAllow]),
    corsOrigins: Object.freeze([...config.corsOrigins]),
    secretKeyPrevious: Object.freeze([...config.secretKeyPrevious]),
  });
}

/** A config for tests and embedding: defaults, with no .env file and no process environment. */
export function configFrom(env: Record<string, string | undefined>, cwd?: string): Config {
  return loadConfig({ env, envFile: false, ...(cwd === undefined ? {} : { cwd }) });
}
