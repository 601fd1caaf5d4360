/**
 * The stack builder's vocabulary: services of the catalog, the integrations between them, and the files of a
 * generated bundle. Field names of the HTTP shapes are snake_case; these are the internal (camelCase) forms.
 */

/** The nine kinds of integration the builder wires between services (issue 7, §2). */
export const INTEGRATION_KINDS = [
  'reverse_proxy',
  'oauth_provider',
  'db_provider',
  'mqtt_broker',
  'email',
  'visualization',
  'metrics_collector',
  'log_aggregation',
  'secrets_management',
] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

/** Database engines, so a consumer can say which providers it can use (Fieldline needs PostgreSQL, not MariaDB). */
export type DbEngine = 'postgres' | 'timescaledb' | 'mariadb' | 'influxdb' | 'redis';

export type ServiceCategory =
  | 'platform'
  | 'messaging'
  | 'database'
  | 'observability'
  | 'proxy'
  | 'security'
  | 'automation'
  | 'tools';

export interface PortSpec {
  /** Port inside the container. */
  container: number;
  /** Preferred port on the host; moved to a free one when another service already has it. */
  host: number;
  protocol?: 'tcp' | 'udp';
  /** What the port is for, shown in the README (`mqtt`, `http`, …). */
  name: string;
  /** Published on 127.0.0.1 only: databases and admin consoles are not for the network. */
  loopback?: boolean;
  /** An HTTP UI or API: routed through the reverse proxy instead of published, when the stack has Traefik. */
  http?: boolean;
  /** Only published when MQTT TLS is enabled. */
  tlsOnly?: boolean;
}

export interface Provision {
  kind: IntegrationKind;
  engine?: DbEngine;
}

export interface Consumption {
  kind: IntegrationKind;
  /** For db_provider: the engines this consumer can use, in order of preference. */
  engines?: readonly DbEngine[];
  /** A required provider that is missing is a conflict; an optional one is at most a recommendation. */
  required: boolean;
  /** What the builder configures in this consumer when the provider is there. */
  configures: string;
}

export interface SecretSpec {
  /** Suffix of the .env variable: `<INSTANCE>_<KEY>`. */
  key: string;
  kind: SecretKind;
  description: string;
}

export type SecretKind = 'password' | 'token' | 'hex' | 'base64';

export interface HealthcheckSpec {
  test: readonly string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  startPeriod?: string;
}

export interface VolumeSpec {
  /** Named volume (prefixed with the instance name) … */
  name: string;
  target: string;
}

export interface HostMount {
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface ServiceDefinition {
  id: string;
  name: string;
  category: ServiceCategory;
  description: string;
  /** Pinned image: never `latest`, so a bundle built today starts the same services next year. */
  image: string;
  ports: readonly PortSpec[];
  /**
   * Environment of the container. `{{secret:KEY}}` stands for the instance's secret KEY (from .env),
   * `{{instance}}` for the instance name, `{{tz}}` for the stack's time zone, `{{admin_email}}` for the
   * stack's administrator address.
   */
  environment: Readonly<Record<string, string>>;
  volumes: readonly VolumeSpec[];
  hostMounts?: readonly HostMount[];
  command?: readonly string[];
  user?: string;
  /** A check the image can run with the tools it ships; `null` with a reason when it ships none. */
  healthcheck: HealthcheckSpec | { none: string };
  provides: readonly Provision[];
  consumes: readonly Consumption[];
  secrets: readonly SecretSpec[];
  /** The HTTP UI behind the reverse proxy: one subdomain per service. */
  web?: { port: number; subdomain: string };
  /** A Prometheus endpoint Prometheus scrapes when the stack has one. */
  metrics?: { port: number; path: string; params?: Readonly<Record<string, readonly string[]>> };
  docs: string;
}

/** One service of a requested stack, as the caller names it. */
export interface InstanceRequest {
  appId: string;
  instanceName?: string;
  /** Host port per container port, overriding the catalog's. */
  ports?: Readonly<Record<string, number>>;
}

export interface ReverseProxySettings {
  baseDomain: string;
  enableHttps: boolean;
  letsencryptEmail: string | null;
}
export interface MqttSettings {
  enableTls: boolean;
  username: string;
  password: string | null;
  tlsPort: number;
}
export interface OAuthSettings {
  realmName: string;
  autoConfigureServices: boolean;
}
export interface DatabaseSettings {
  autoRegister: boolean;
}
export interface EmailSettings {
  fromAddress: string | null;
  autoConfigureServices: boolean;
}

export interface StackSettings {
  projectName: string;
  timezone: string;
  reverseProxy: ReverseProxySettings;
  mqtt: MqttSettings;
  oauth: OAuthSettings;
  database: DatabaseSettings;
  email: EmailSettings;
}

export interface GeneratedFile {
  path: string;
  content: string;
  /** Unix mode: 0o755 for scripts, 0o600 for files only the operator should read. */
  mode?: number;
}
