import type { ServiceDefinition } from '../types.js';
import { command, httpBash, httpWget } from './healthchecks.js';

/** Reverse proxies, single sign-on, container management and secrets. */
export const INFRASTRUCTURE_SERVICES: readonly ServiceDefinition[] = [
  {
    id: 'traefik',
    name: 'Traefik',
    category: 'proxy',
    description: "Reverse proxy: one subdomain per service, HTTPS with Let's Encrypt, HTTP to HTTPS redirect.",
    image: 'traefik:v3.5.1',
    ports: [
      { container: 80, host: 80, name: 'http' },
      { container: 443, host: 443, name: 'https' },
    ],
    environment: { TZ: '{{tz}}' },
    volumes: [{ name: 'letsencrypt', target: '/letsencrypt' }],
    // Needs `ping` in the static configuration, which the generated traefik.yml has.
    healthcheck: command(['traefik', 'healthcheck', '--ping']),
    provides: [{ kind: 'reverse_proxy' }],
    consumes: [{ kind: 'metrics_collector', required: false, configures: 'a scrape job for its metrics entry point' }],
    secrets: [
      {
        key: 'DASHBOARD_PASSWORD',
        kind: 'password',
        description: 'user `admin` of the dashboard and of the UIs that have no login of their own',
      },
    ],
    web: { port: 8080, subdomain: 'traefik' },
    metrics: { port: 8082, path: '/metrics' },
    docs: 'https://doc.traefik.io/traefik/',
  },
  {
    id: 'nginx-proxy-manager',
    name: 'Nginx Proxy Manager',
    category: 'proxy',
    description: 'Reverse proxy managed in a web UI; proxy hosts created by a post-start script.',
    image: 'jc21/nginx-proxy-manager:2.12.6',
    ports: [
      { container: 80, host: 80, name: 'http' },
      { container: 443, host: 443, name: 'https' },
      { container: 81, host: 81, name: 'admin', loopback: true },
    ],
    environment: {
      TZ: '{{tz}}',
      DB_SQLITE_FILE: '/data/database.sqlite',
      DISABLE_IPV6: 'true',
      INITIAL_ADMIN_EMAIL: '{{admin_email}}',
      INITIAL_ADMIN_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
    },
    volumes: [
      { name: 'data', target: '/data' },
      { name: 'letsencrypt', target: '/etc/letsencrypt' },
    ],
    // The image ships this script for its own healthcheck.
    healthcheck: command(['/usr/bin/check-health'], { startPeriod: '30s' }),
    provides: [{ kind: 'reverse_proxy' }],
    consumes: [],
    secrets: [{ key: 'ADMIN_PASSWORD', kind: 'password', description: 'administrator of the admin UI' }],
    docs: 'https://nginxproxymanager.com/setup/',
  },
  {
    id: 'keycloak',
    name: 'Keycloak',
    category: 'security',
    description: 'Single sign-on (OpenID Connect); the realm and its clients are imported at start.',
    image: 'quay.io/keycloak/keycloak:26.3.3',
    ports: [{ container: 8080, host: 8180, name: 'http', http: true }],
    command: ['start', '--import-realm'],
    environment: {
      TZ: '{{tz}}',
      KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
      KC_BOOTSTRAP_ADMIN_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
      KC_HEALTH_ENABLED: 'true',
      KC_METRICS_ENABLED: 'true',
      KC_HTTP_ENABLED: 'true',
      KC_HOSTNAME_BACKCHANNEL_DYNAMIC: 'true',
    },
    volumes: [{ name: 'data', target: '/opt/keycloak/data/h2' }],
    // The UBI image has neither curl nor wget; the management port answers /health/ready.
    healthcheck: httpBash(9000, '/health/ready', { startPeriod: '60s' }),
    provides: [{ kind: 'oauth_provider' }],
    consumes: [
      {
        kind: 'db_provider',
        engines: ['postgres', 'timescaledb'],
        required: false,
        configures: 'KC_DB=postgres with its own database and user',
      },
      { kind: 'email', required: false, configures: "the realm's SMTP server (password resets, verification)" },
      { kind: 'metrics_collector', required: false, configures: 'a scrape job for the management port' },
    ],
    secrets: [
      { key: 'ADMIN_PASSWORD', kind: 'password', description: 'bootstrap administrator `admin` (master realm)' },
    ],
    web: { port: 8080, subdomain: 'keycloak' },
    metrics: { port: 9000, path: '/metrics' },
    docs: 'https://www.keycloak.org/server/containers',
  },
  {
    id: 'portainer',
    name: 'Portainer CE',
    category: 'tools',
    description: 'Container management UI; OAuth with Keycloak set by a post-start script.',
    image: 'portainer/portainer-ce:2.33.1',
    ports: [{ container: 9000, host: 9000, name: 'http', http: true }],
    command: ['--http-enabled'],
    environment: {},
    volumes: [{ name: 'data', target: '/data' }],
    hostMounts: [{ source: '/var/run/docker.sock', target: '/var/run/docker.sock' }],
    healthcheck: {
      none: 'the image has no shell or HTTP client; its post-start script waits for the API instead',
    },
    provides: [],
    consumes: [
      {
        kind: 'oauth_provider',
        required: false,
        configures: 'OAuth settings through its API (scripts/post-start/portainer.sh): no env variable exists for them',
      },
    ],
    secrets: [
      { key: 'ADMIN_PASSWORD', kind: 'password', description: 'administrator `admin` (set by the post-start script)' },
    ],
    web: { port: 9000, subdomain: 'portainer' },
    docs: 'https://docs.portainer.io/start/install-ce/server/docker/linux',
  },
  {
    id: 'vault',
    name: 'HashiCorp Vault',
    category: 'security',
    description: "Secrets store; the init script unseals it and stores the stack's credentials.",
    image: 'hashicorp/vault:1.20.3',
    ports: [{ container: 8200, host: 8200, name: 'http', http: true }],
    command: ['server'],
    environment: { VAULT_ADDR: 'http://127.0.0.1:8200' },
    volumes: [{ name: 'data', target: '/vault/file' }],
    healthcheck: httpWget('http://127.0.0.1:8200/v1/sys/health?uninitcode=200&sealedcode=200&standbyok=true'),
    provides: [{ kind: 'secrets_management' }],
    consumes: [
      {
        kind: 'oauth_provider',
        required: false,
        configures: 'an OIDC auth method enabled by scripts/vault_init.sh with the client `vault`',
      },
      { kind: 'metrics_collector', required: false, configures: 'a scrape job for /v1/sys/metrics' },
    ],
    secrets: [],
    web: { port: 8200, subdomain: 'vault' },
    metrics: { port: 8200, path: '/v1/sys/metrics', params: { format: ['prometheus'] } },
    docs: 'https://developer.hashicorp.com/vault/docs/platform/docker',
  },
];
