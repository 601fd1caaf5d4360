import type { Consumption, ServiceDefinition } from '../types.js';
import { command, shell } from './healthchecks.js';

const asDatasource: Consumption = {
  kind: 'visualization',
  required: false,
  configures: 'a Grafana datasource with a read-only user',
};

const postgresLike = (
  id: 'postgres' | 'timescaledb',
  name: string,
  image: string,
  description: string,
): ServiceDefinition => ({
  id,
  name,
  category: 'database',
  description,
  image,
  ports: [{ container: 5432, host: 5432, name: 'postgres', loopback: true }],
  environment: {
    TZ: '{{tz}}',
    POSTGRES_USER: 'postgres',
    POSTGRES_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
    POSTGRES_DB: 'iiot',
  },
  volumes: [{ name: 'data', target: '/var/lib/postgresql/data' }],
  healthcheck: shell('pg_isready -U postgres -d iiot -h 127.0.0.1 || exit 1', { startPeriod: '20s' }),
  provides: [{ kind: 'db_provider', engine: id }],
  consumes: [asDatasource],
  secrets: [{ key: 'ADMIN_PASSWORD', kind: 'password', description: 'superuser `postgres`' }],
  docs:
    id === 'postgres'
      ? 'https://hub.docker.com/_/postgres'
      : 'https://docs.timescale.com/self-hosted/latest/install/installation-docker/',
});

/** Databases and the tool to browse them. */
export const DATABASE_SERVICES: readonly ServiceDefinition[] = [
  postgresLike(
    'postgres',
    'PostgreSQL',
    'postgres:17.5-alpine',
    'Relational database; one database and user per consumer.',
  ),
  postgresLike(
    'timescaledb',
    'TimescaleDB',
    'timescale/timescaledb:2.21.3-pg17',
    'PostgreSQL with time-series hypertables and compression.',
  ),
  {
    id: 'mariadb',
    name: 'MariaDB',
    category: 'database',
    description: 'MySQL-compatible relational database.',
    image: 'mariadb:11.4.7',
    ports: [{ container: 3306, host: 3306, name: 'mysql', loopback: true }],
    environment: {
      TZ: '{{tz}}',
      MARIADB_ROOT_PASSWORD: '{{secret:ROOT_PASSWORD}}',
      MARIADB_DATABASE: 'iiot',
      MARIADB_USER: 'iiot',
      MARIADB_PASSWORD: '{{secret:PASSWORD}}',
    },
    volumes: [{ name: 'data', target: '/var/lib/mysql' }],
    // The official image ships healthcheck.sh for exactly this.
    healthcheck: command(['healthcheck.sh', '--connect', '--innodb_initialized'], { startPeriod: '20s' }),
    provides: [{ kind: 'db_provider', engine: 'mariadb' }],
    consumes: [asDatasource],
    secrets: [
      { key: 'ROOT_PASSWORD', kind: 'password', description: 'MariaDB `root`' },
      { key: 'PASSWORD', kind: 'password', description: 'owner `iiot` of the database `iiot`' },
    ],
    docs: 'https://hub.docker.com/_/mariadb',
  },
  {
    id: 'influxdb',
    name: 'InfluxDB 2',
    category: 'database',
    description: 'Time-series database with Flux queries and a web UI.',
    image: 'influxdb:2.7.12',
    ports: [{ container: 8086, host: 8086, name: 'http', http: true }],
    environment: {
      TZ: '{{tz}}',
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_USERNAME: 'admin',
      DOCKER_INFLUXDB_INIT_PASSWORD: '{{secret:ADMIN_PASSWORD}}',
      DOCKER_INFLUXDB_INIT_ORG: 'fieldline',
      DOCKER_INFLUXDB_INIT_BUCKET: 'iiot',
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: '{{secret:ADMIN_TOKEN}}',
    },
    volumes: [
      { name: 'data', target: '/var/lib/influxdb2' },
      { name: 'config', target: '/etc/influxdb2' },
    ],
    healthcheck: command(['influx', 'ping']),
    provides: [{ kind: 'db_provider', engine: 'influxdb' }],
    consumes: [asDatasource, { kind: 'metrics_collector', required: false, configures: 'a scrape job for /metrics' }],
    secrets: [
      { key: 'ADMIN_PASSWORD', kind: 'password', description: 'UI user `admin`' },
      { key: 'ADMIN_TOKEN', kind: 'token', description: 'operator API token (Grafana and Telegraf use it)' },
    ],
    web: { port: 8086, subdomain: 'influxdb' },
    metrics: { port: 8086, path: '/metrics' },
    docs: 'https://hub.docker.com/_/influxdb',
  },
  {
    id: 'redis',
    name: 'Redis',
    category: 'database',
    description: 'In-memory cache and message fan-out; password protected, append-only persistence.',
    image: 'redis:7.4.5-alpine',
    ports: [{ container: 6379, host: 6379, name: 'redis', loopback: true }],
    environment: { TZ: '{{tz}}', REDIS_PASSWORD: '{{secret:PASSWORD}}' },
    command: ['redis-server', '--appendonly', 'yes', '--requirepass', '{{secret:PASSWORD}}'],
    volumes: [{ name: 'data', target: '/data' }],
    healthcheck: shell('redis-cli -a "$$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'),
    provides: [{ kind: 'db_provider', engine: 'redis' }],
    consumes: [],
    secrets: [{ key: 'PASSWORD', kind: 'password', description: 'password of the default user' }],
    docs: 'https://hub.docker.com/_/redis',
  },
  {
    id: 'adminer',
    name: 'Adminer',
    category: 'tools',
    description: 'Database management in one PHP page (PostgreSQL, MariaDB).',
    image: 'adminer:5.3.0',
    ports: [{ container: 8080, host: 8081, name: 'http', http: true, loopback: true }],
    environment: { ADMINER_DESIGN: 'pepa-linha' },
    volumes: [],
    healthcheck: command(['php', '-r', "exit(@file_get_contents('http://127.0.0.1:8080/') === false ? 1 : 0);"]),
    provides: [],
    consumes: [
      {
        kind: 'db_provider',
        engines: ['postgres', 'timescaledb', 'mariadb'],
        required: true,
        configures: 'ADMINER_DEFAULT_SERVER pointing at the database',
      },
    ],
    secrets: [],
    web: { port: 8080, subdomain: 'adminer' },
    docs: 'https://hub.docker.com/_/adminer',
  },
];
