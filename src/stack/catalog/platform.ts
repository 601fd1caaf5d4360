import { VERSION } from '../../version.js';
import type { ServiceDefinition } from '../types.js';
import { command, httpCurl, httpWget } from './healthchecks.js';

/** Fieldline itself and the application platforms an IIoT stack is built around. */
export const PLATFORM_SERVICES: readonly ServiceDefinition[] = [
  {
    id: 'fieldline',
    name: 'Fieldline',
    category: 'platform',
    description: 'Industrial IoT platform: devices, telemetry, rules, alerts, notifications, real time.',
    image: `ghcr.io/fieldline-iot/fieldline:${VERSION}`,
    ports: [
      { container: 8080, host: 8080, name: 'http', http: true },
      // The embedded broker; not published when the stack has Mosquitto or EMQX (FIELDLINE_MQTT_PORT=0 then).
      { container: 1883, host: 1883, name: 'mqtt' },
    ],
    environment: {
      FIELDLINE_HTTP_PORT: '8080',
      FIELDLINE_MQTT_PORT: '1883',
      FIELDLINE_DATA_DIR: '/data',
      FIELDLINE_SECRET_KEY: '{{secret:SECRET_KEY}}',
      FIELDLINE_ADMIN_USERNAME: 'admin',
      FIELDLINE_ADMIN_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
      FIELDLINE_METRICS_TOKEN: '{{secret:METRICS_TOKEN}}',
      FIELDLINE_LOG_LEVEL: 'info',
      TZ: '{{tz}}',
    },
    volumes: [{ name: 'data', target: '/data' }],
    // Node is always in the image, so its fetch is the HTTP client.
    healthcheck: command(
      [
        'node',
        '-e',
        "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
      ],
      { startPeriod: '20s' },
    ),
    provides: [],
    consumes: [
      {
        kind: 'db_provider',
        engines: ['timescaledb', 'postgres'],
        required: false,
        configures: 'FIELDLINE_DATABASE_URL to its own database and user (instead of the embedded SQLite file)',
      },
      {
        kind: 'db_provider',
        engines: ['redis'],
        required: false,
        configures: 'FIELDLINE_REDIS_URL for the cache and cross-node event fan-out',
      },
      {
        kind: 'mqtt_broker',
        required: false,
        configures:
          'FIELDLINE_MQTT_URL with its own broker user; the embedded broker is turned off (FIELDLINE_MQTT_PORT=0)',
      },
      { kind: 'email', required: false, configures: 'FIELDLINE_SMTP_URL for alert and invitation mail' },
      { kind: 'oauth_provider', required: false, configures: 'a confidential client `fieldline` in the realm' },
      { kind: 'metrics_collector', required: false, configures: 'a scrape job for /metrics with its bearer token' },
      { kind: 'visualization', required: false, configures: "Fieldline's database as a Grafana datasource" },
    ],
    secrets: [
      { key: 'SECRET_KEY', kind: 'base64', description: 'key for credentials at rest and token signing' },
      { key: 'ADMIN_PASSWORD', kind: 'password', description: 'password of the first administrator `admin`' },
      { key: 'METRICS_TOKEN', kind: 'token', description: 'bearer token Prometheus sends to /metrics' },
    ],
    web: { port: 8080, subdomain: 'fieldline' },
    metrics: { port: 8080, path: '/metrics' },
    docs: 'https://github.com/fieldline-iot/fieldline',
  },
  {
    id: 'node-red',
    name: 'Node-RED',
    category: 'automation',
    description: 'Flow-based programming for wiring devices, APIs and services.',
    image: 'nodered/node-red:4.0.9',
    ports: [{ container: 1880, host: 1880, name: 'http', http: true }],
    environment: {
      TZ: '{{tz}}',
      NODE_RED_ADMIN_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
      NODE_RED_CREDENTIAL_SECRET: '{{secret:CREDENTIAL_SECRET}}',
    },
    volumes: [{ name: 'data', target: '/data' }],
    // The image ships this script for its own HEALTHCHECK.
    healthcheck: command(['node', '/healthcheck.js']),
    provides: [],
    consumes: [
      {
        kind: 'mqtt_broker',
        required: false,
        configures: 'MQTT_URL, MQTT_USERNAME and MQTT_PASSWORD in its environment, with its own broker user',
      },
    ],
    secrets: [
      { key: 'ADMIN_PASSWORD', kind: 'password', description: 'password of the editor user `admin`' },
      { key: 'CREDENTIAL_SECRET', kind: 'hex', description: 'key that encrypts the flows credentials file' },
    ],
    web: { port: 1880, subdomain: 'nodered' },
    docs: 'https://nodered.org/docs/getting-started/docker',
  },
  {
    id: 'n8n',
    name: 'n8n',
    category: 'automation',
    description: 'Workflow automation with hundreds of integrations.',
    image: 'n8nio/n8n:1.109.2',
    ports: [{ container: 5678, host: 5678, name: 'http', http: true }],
    environment: {
      TZ: '{{tz}}',
      GENERIC_TIMEZONE: '{{tz}}',
      N8N_ENCRYPTION_KEY: '{{secret:ENCRYPTION_KEY}}',
      N8N_METRICS: 'true',
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_RUNNERS_ENABLED: 'true',
    },
    volumes: [{ name: 'data', target: '/home/node/.n8n' }],
    healthcheck: httpWget('http://127.0.0.1:5678/healthz'),
    provides: [],
    consumes: [
      {
        kind: 'db_provider',
        engines: ['postgres', 'timescaledb'],
        required: false,
        configures: 'DB_TYPE=postgresdb with its own database and user',
      },
      { kind: 'email', required: false, configures: 'N8N_EMAIL_MODE=smtp for invitations and password resets' },
      {
        kind: 'oauth_provider',
        required: false,
        configures: 'a client `n8n` in the realm (OIDC login needs an n8n Enterprise licence)',
      },
      { kind: 'metrics_collector', required: false, configures: 'a scrape job for /metrics' },
    ],
    secrets: [{ key: 'ENCRYPTION_KEY', kind: 'hex', description: 'key that encrypts stored credentials' }],
    web: { port: 5678, subdomain: 'n8n' },
    metrics: { port: 5678, path: '/metrics' },
    docs: 'https://docs.n8n.io/hosting/installation/docker/',
  },
  {
    id: 'ignition',
    name: 'Ignition',
    category: 'platform',
    description: 'Inductive Automation Ignition SCADA/HMI gateway (trial mode without a licence).',
    image: 'inductiveautomation/ignition:8.3.0',
    ports: [
      { container: 8088, host: 8088, name: 'http', http: true },
      { container: 62541, host: 62541, name: 'opc-ua' },
    ],
    environment: {
      TZ: '{{tz}}',
      ACCEPT_IGNITION_EULA: 'Y',
      GATEWAY_ADMIN_USERNAME: 'admin',
      GATEWAY_ADMIN_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
      IGNITION_EDITION: 'standard',
    },
    volumes: [{ name: 'data', target: '/usr/local/bin/ignition/data' }],
    healthcheck: httpCurl('http://127.0.0.1:8088/StatusPing', { startPeriod: '120s' }),
    provides: [],
    consumes: [
      {
        kind: 'db_provider',
        engines: ['postgres', 'timescaledb', 'mariadb'],
        required: false,
        configures: 'a database connection registered by scripts/ignition_db_setup.sh (gateway API)',
      },
      {
        kind: 'email',
        required: false,
        configures: 'an SMTP profile registered by scripts/ignition_db_setup.sh (gateway API)',
      },
    ],
    secrets: [
      { key: 'ADMIN_PASSWORD', kind: 'password', description: 'password of the gateway administrator `admin`' },
    ],
    web: { port: 8088, subdomain: 'ignition' },
    docs: 'https://docs.inductiveautomation.com/docs/8.3/platform/docker-image',
  },
];
