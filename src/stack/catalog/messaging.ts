import type { ServiceDefinition } from '../types.js';
import { command, shell } from './healthchecks.js';

/** MQTT brokers, push notifications and the mail catcher. */
export const MESSAGING_SERVICES: readonly ServiceDefinition[] = [
  {
    id: 'mosquitto',
    name: 'Eclipse Mosquitto',
    category: 'messaging',
    description: 'Lightweight MQTT 5 broker with password file, ACLs and TLS.',
    image: 'eclipse-mosquitto:2.0.22',
    ports: [
      { container: 1883, host: 1883, name: 'mqtt' },
      { container: 8883, host: 8883, name: 'mqtts', tlsOnly: true },
      { container: 9001, host: 9001, name: 'mqtt-websocket' },
    ],
    environment: { TZ: '{{tz}}', MQTT_HEALTHCHECK_PASSWORD: '{{secret:HEALTHCHECK_PASSWORD}}' },
    volumes: [{ name: 'data', target: '/mosquitto/data' }],
    // Anonymous access is off, so the check logs in as a user that may only read $SYS.
    healthcheck: shell(
      'mosquitto_sub -h 127.0.0.1 -p 1883 -u healthcheck -P "$$MQTT_HEALTHCHECK_PASSWORD" -t \'$$SYS/broker/uptime\' -C 1 -W 5 >/dev/null || exit 1',
    ),
    provides: [{ kind: 'mqtt_broker' }],
    consumes: [],
    secrets: [
      { key: 'HEALTHCHECK_PASSWORD', kind: 'password', description: 'broker user `healthcheck` (reads $SYS only)' },
    ],
    docs: 'https://mosquitto.org/man/mosquitto-conf-5.html',
  },
  {
    id: 'emqx',
    name: 'EMQX',
    category: 'messaging',
    description: 'Scalable MQTT broker with a dashboard, rule engine and clustering.',
    image: 'emqx/emqx:5.8.6',
    ports: [
      { container: 1883, host: 1883, name: 'mqtt' },
      { container: 8883, host: 8883, name: 'mqtts', tlsOnly: true },
      { container: 8083, host: 8083, name: 'mqtt-websocket' },
      { container: 18083, host: 18083, name: 'dashboard', http: true },
    ],
    environment: {
      TZ: '{{tz}}',
      EMQX_NODE__NAME: 'emqx@{{instance}}',
      EMQX_NODE__COOKIE: '{{secret:NODE_COOKIE}}',
      EMQX_DASHBOARD__DEFAULT_USERNAME: 'admin',
      EMQX_DASHBOARD__DEFAULT_PASSWORD: '{{secret:DASHBOARD_PASSWORD}}',
    },
    volumes: [
      { name: 'data', target: '/opt/emqx/data' },
      { name: 'log', target: '/opt/emqx/log' },
    ],
    healthcheck: command(['/opt/emqx/bin/emqx', 'ctl', 'status'], { startPeriod: '30s' }),
    provides: [{ kind: 'mqtt_broker' }],
    consumes: [{ kind: 'metrics_collector', required: false, configures: 'a scrape job for its Prometheus stats' }],
    secrets: [
      { key: 'NODE_COOKIE', kind: 'hex', description: 'Erlang distribution cookie' },
      { key: 'DASHBOARD_PASSWORD', kind: 'password', description: 'dashboard user `admin`' },
    ],
    web: { port: 18083, subdomain: 'emqx' },
    metrics: { port: 18083, path: '/api/v5/prometheus/stats' },
    docs: 'https://docs.emqx.com/en/emqx/v5.8/deploy/install-docker.html',
  },
  {
    id: 'ntfy',
    name: 'ntfy',
    category: 'messaging',
    description: 'Push notifications to phones and desktops over HTTP; stack monitor included.',
    image: 'binwiederhier/ntfy:v2.14.0',
    ports: [{ container: 80, host: 8090, name: 'http', http: true }],
    command: ['serve'],
    environment: {
      TZ: '{{tz}}',
      NTFY_CACHE_FILE: '/var/cache/ntfy/cache.db',
      NTFY_AUTH_FILE: '/var/lib/ntfy/user.db',
      NTFY_AUTH_DEFAULT_ACCESS: 'deny-all',
      NTFY_BEHIND_PROXY: 'true',
      NTFY_ENABLE_METRICS: 'true',
      NTFY_ADMIN_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
      NTFY_MONITOR_PASSWORD: '{{secret:MONITOR_PASSWORD}}',
    },
    volumes: [
      { name: 'cache', target: '/var/cache/ntfy' },
      { name: 'lib', target: '/var/lib/ntfy' },
    ],
    // The check from ntfy's own documentation.
    healthcheck: shell(
      'wget -q --tries=1 http://127.0.0.1:80/v1/health -O - | grep -Eo \'"healthy"\\s*:\\s*true\' || exit 1',
    ),
    provides: [],
    consumes: [
      { kind: 'email', required: false, configures: 'NTFY_SMTP_SENDER_* so notifications can go out by e-mail' },
      { kind: 'metrics_collector', required: false, configures: 'a scrape job for /metrics' },
    ],
    secrets: [
      { key: 'ADMIN_PASSWORD', kind: 'password', description: 'ntfy user `admin` (created by the post-start script)' },
      {
        key: 'MONITOR_PASSWORD',
        kind: 'password',
        description: 'ntfy user `monitor` that scripts/ntfy_monitor.sh publishes as',
      },
    ],
    web: { port: 80, subdomain: 'ntfy' },
    metrics: { port: 80, path: '/metrics' },
    docs: 'https://docs.ntfy.sh/install/#docker',
  },
  {
    id: 'mailpit',
    name: 'Mailpit',
    category: 'tools',
    description: 'SMTP server that catches every mail for inspection in a web UI (successor of MailHog).',
    image: 'axllent/mailpit:v1.27.7',
    ports: [
      { container: 1025, host: 1025, name: 'smtp', loopback: true },
      { container: 8025, host: 8025, name: 'http', http: true },
    ],
    environment: {
      TZ: '{{tz}}',
      MP_DATABASE: '/data/mailpit.db',
      MP_MAX_MESSAGES: '5000',
      MP_SMTP_AUTH_ACCEPT_ANY: '1',
      MP_SMTP_AUTH_ALLOW_INSECURE: '1',
      MP_UI_AUTH: 'admin:{{secret:UI_PASSWORD}}',
    },
    volumes: [{ name: 'data', target: '/data' }],
    healthcheck: command(['/mailpit', 'readyz']),
    provides: [{ kind: 'email' }],
    consumes: [],
    secrets: [{ key: 'UI_PASSWORD', kind: 'password', description: 'web UI user `admin`' }],
    web: { port: 8025, subdomain: 'mail' },
    docs: 'https://mailpit.axllent.org/docs/install/docker/',
  },
];
