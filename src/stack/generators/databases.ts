import type { StackContext } from '../stack-context.js';
import type { PlannedInstance } from '../stack-plan.js';

/** A database of its own for one consumer, on one provider. */
export interface DatabaseGrant {
  provider: PlannedInstance;
  consumer: PlannedInstance;
  database: string;
  user: string;
  /** .env variable of the user's password, known to the provider and this consumer only. */
  passwordVar: string;
}

const grants = new WeakMap<StackContext, DatabaseGrant[]>();

/** The database grants of a stack (after configureDatabases ran). */
export function databaseGrants(ctx: StackContext): readonly DatabaseGrant[] {
  return grants.get(ctx) ?? [];
}

/** The .env variable of the read-only Grafana user on a provider, when the stack has Grafana. */
export function grafanaReaderVar(provider: PlannedInstance): string {
  return `${provider.name.toUpperCase().replace(/-/g, '_')}_GRAFANA_READER_PASSWORD`;
}

const sqlName = (instance: string) => instance.replace(/-/g, '_');

/**
 * One database and user per consumer on PostgreSQL/TimescaleDB and MariaDB, created by an init script at the
 * first start, and a read-only user for Grafana. Consumers get their connection settings and wait for the
 * database to be healthy. Redis has one password, given to its consumers.
 */
export function configureDatabases(ctx: StackContext): void {
  const list: DatabaseGrant[] = [];
  grants.set(ctx, list);
  const grafana = ctx.wiring.provider('visualization');
  for (const provider of ctx.wiring.providers('db_provider')) {
    const engine = provider.def.provides.find((p) => p.kind === 'db_provider')!.engine!;
    const consumers = ctx.wiring.consumersOf(provider, 'db_provider').map((c) => c.consumer);
    for (const consumer of consumers) ctx.dependOn(consumer.name, provider);
    if (engine === 'redis') {
      for (const consumer of consumers)
        ctx.secrets.share(`${provider.name.toUpperCase().replace(/-/g, '_')}_PASSWORD`, consumer.name);
      continue;
    }
    if (engine === 'influxdb') continue; // Its consumers use the operator token (see grafana.ts, telegraf.ts).
    const owned = consumers.filter((c) => c.appId !== 'adminer');
    for (const consumer of owned) {
      const passwordVar = `${provider.name.toUpperCase().replace(/-/g, '_')}_${consumer.name.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
      ctx.secrets.define(passwordVar, 'password', `${provider.name}: database user \`${sqlName(consumer.name)}\``, [
        provider.name,
        consumer.name,
      ]);
      list.push({ provider, consumer, database: sqlName(consumer.name), user: sqlName(consumer.name), passwordVar });
    }
    const readerVar = grafana ? grafanaReaderVar(provider) : null;
    if (readerVar && grafana)
      ctx.secrets.define(readerVar, 'password', `${provider.name}: read-only user \`grafana_reader\``, [
        provider.name,
        grafana.name,
      ]);
    const mine = list.filter((g) => g.provider === provider);
    const env = ctx.service(provider.name).environment;
    for (const g of mine) env.set(g.passwordVar, `\${${g.passwordVar}}`);
    if (readerVar) env.set(readerVar, `\${${readerVar}}`);
    if (mine.length > 0 || readerVar) {
      const isPostgres = engine === 'postgres' || engine === 'timescaledb';
      const script = isPostgres
        ? postgresInit(mine, readerVar, engine === 'timescaledb')
        : mariadbInit(mine, readerVar);
      ctx.addFile(`configs/${provider.name}/initdb/10-stack-databases.sh`, script, 0o755);
      ctx.service(provider.name).mounts.push({
        source: `./configs/${provider.name}/initdb`,
        target: '/docker-entrypoint-initdb.d',
        readOnly: true,
      });
      ctx.note(
        provider.name,
        `Databases created at first start: ${[...mine.map((g) => `\`${g.database}\` (user \`${g.user}\`)`), readerVar ? 'read-only user `grafana_reader`' : ''].filter(Boolean).join(', ')}. The init script runs only on an empty data volume.`,
      );
    }
    for (const consumer of consumers)
      wireConsumer(
        ctx,
        provider,
        consumer,
        mine.find((g) => g.consumer === consumer),
      );
  }
}

function wireConsumer(ctx: StackContext, provider: PlannedInstance, consumer: PlannedInstance, grant?: DatabaseGrant) {
  const env = ctx.service(consumer.name).environment;
  const pw = grant ? `\${${grant.passwordVar}}` : '';
  switch (consumer.appId) {
    case 'fieldline':
      if (grant)
        env.set('FIELDLINE_DATABASE_URL', `postgres://${grant.user}:${pw}@${provider.name}:5432/${grant.database}`);
      break;
    case 'n8n':
      if (!grant) break;
      env.set('DB_TYPE', 'postgresdb');
      env.set('DB_POSTGRESDB_HOST', provider.name);
      env.set('DB_POSTGRESDB_PORT', '5432');
      env.set('DB_POSTGRESDB_DATABASE', grant.database);
      env.set('DB_POSTGRESDB_USER', grant.user);
      env.set('DB_POSTGRESDB_PASSWORD', pw);
      break;
    case 'keycloak':
      if (!grant) break;
      env.set('KC_DB', 'postgres');
      env.set('KC_DB_URL', `jdbc:postgresql://${provider.name}:5432/${grant.database}`);
      env.set('KC_DB_USERNAME', grant.user);
      env.set('KC_DB_PASSWORD', pw);
      break;
    case 'adminer':
      env.set('ADMINER_DEFAULT_SERVER', provider.name);
      break;
    default:
      // Ignition registers its connection through the gateway API (scripts/ignition_db_setup.sh).
      break;
  }
}

function postgresInit(grantsHere: readonly DatabaseGrant[], readerVar: string | null, timescale: boolean): string {
  const vars = [
    ...grantsHere.map((g) => `  -v ${g.user}_password="$${g.passwordVar}" \\`),
    ...(readerVar ? [`  -v grafana_reader_password="$${readerVar}" \\`] : []),
  ];
  const sql: string[] = [];
  if (readerVar)
    sql.push(
      "CREATE ROLE grafana_reader LOGIN PASSWORD :'grafana_reader_password';",
      'GRANT CONNECT ON DATABASE iiot TO grafana_reader;',
      'GRANT USAGE ON SCHEMA public TO grafana_reader;',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO grafana_reader;',
    );
  for (const g of grantsHere) {
    sql.push(
      '',
      `CREATE ROLE ${g.user} LOGIN PASSWORD :'${g.user}_password';`,
      `CREATE DATABASE ${g.database} OWNER ${g.user};`,
      `\\connect ${g.database}`,
    );
    if (timescale) sql.push('CREATE EXTENSION IF NOT EXISTS timescaledb;');
    if (readerVar)
      sql.push(
        `GRANT CONNECT ON DATABASE ${g.database} TO grafana_reader;`,
        'GRANT USAGE ON SCHEMA public TO grafana_reader;',
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${g.user} IN SCHEMA public GRANT SELECT ON TABLES TO grafana_reader;`,
      );
    sql.push('\\connect iiot');
  }
  return [
    '#!/bin/sh',
    '# Generated by the Fieldline stack builder. Runs once, when the data volume is empty',
    '# (docker-entrypoint-initdb.d): one database and user per service, and a read-only user for Grafana.',
    '# Passwords come from the environment, which docker-compose.yml fills from .env.',
    'set -eu',
    'psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\',
    ...vars,
    "  <<'SQL'",
    ...sql,
    'SQL',
    '',
  ].join('\n');
}

function mariadbInit(grantsHere: readonly DatabaseGrant[], readerVar: string | null): string {
  const sql: string[] = [];
  for (const g of grantsHere)
    sql.push(
      `CREATE DATABASE IF NOT EXISTS \\\`${g.database}\\\`;`,
      `CREATE USER IF NOT EXISTS '${g.user}'@'%' IDENTIFIED BY '\${${g.passwordVar}}';`,
      `GRANT ALL PRIVILEGES ON \\\`${g.database}\\\`.* TO '${g.user}'@'%';`,
    );
  if (readerVar)
    sql.push(
      `CREATE USER IF NOT EXISTS 'grafana_reader'@'%' IDENTIFIED BY '\${${readerVar}}';`,
      "GRANT SELECT ON `iiot`.* TO 'grafana_reader'@'%';".replace(/`/g, '\\`'),
      ...grantsHere.map((g) => `GRANT SELECT ON \\\`${g.database}\\\`.* TO 'grafana_reader'@'%';`),
    );
  sql.push('FLUSH PRIVILEGES;');
  return [
    '#!/bin/bash',
    '# Generated by the Fieldline stack builder. Runs once, when the data volume is empty',
    '# (docker-entrypoint-initdb.d): one database and user per service, and a read-only user for Grafana.',
    '# Passwords come from the environment (letters and digits only, so they need no SQL escaping).',
    'set -eu',
    'mariadb --protocol=socket -uroot -p"$MARIADB_ROOT_PASSWORD" <<SQL',
    ...sql,
    'SQL',
    '',
  ].join('\n');
}
