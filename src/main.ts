import { Command, Option } from 'commander';
import { type App, createApp } from './app.js';
import {
  AccountService,
  AuthStore,
  ensureDefaultOrganization,
  generatePassword,
  hashPassword,
  TokenService,
} from './auth/index.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { newId, systemClock } from './kernel/index.js';
import { fieldlineDashboardProvider, registerGrafanaCommands } from './observability/grafana/index.js';
import { Keyring, resolveSecretKey } from './secrets/index.js';
import { registerSecretCommands } from './secrets/rotate-command.js';
import { registerSimulateCommand } from './simulate/index.js';
import { registerStackCommands, StackBuilder } from './stack/index.js';
import { openStorage } from './storage/index.js';
import { VERSION } from './version.js';

/** Reads the configuration, or explains every problem and exits with status 2. */
function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`fieldline: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function serve(): Promise<void> {
  const config = configOrExit();
  const app: App = await createApp(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // A second signal, or a stop that hangs, ends the process anyway.
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const { httpUrl, bootstrap } = await app.start();
  const lines = [
    '',
    `  Fieldline ${VERSION} is running`,
    `  Web UI           ${httpUrl}/${app.webUi.built ? '' : '   (not built: run npm run build)'}`,
    `  HTTP API         ${httpUrl}`,
    `  API docs         ${httpUrl}/api/v1/docs`,
    `  Health           ${httpUrl}/health`,
  ];
  if (app.broker) {
    if (app.broker.port !== null) lines.push(`  MQTT             mqtt://127.0.0.1:${app.broker.port}`);
    if (app.broker.tlsPort !== null) lines.push(`  MQTTS            mqtts://127.0.0.1:${app.broker.tlsPort}`);
    lines.push(`  MQTT/WebSocket   ${httpUrl.replace('http', 'ws')}/mqtt`);
  } else if (config.mqttUrl) {
    lines.push(`  MQTT             external broker ${config.mqttUrl.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  if (bootstrap.generatedPassword !== null) {
    lines.push(
      '',
      `  First start: administrator '${bootstrap.username}' created with password`,
      `      ${bootstrap.generatedPassword}`,
      `  (shown once; also saved to ${bootstrap.passwordFile}, readable only by you — delete it after logging in)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

async function migrate(): Promise<void> {
  const config = configOrExit();
  const storage = openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const results = await storage.migrate();
    for (const r of results)
      process.stdout.write(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}\n`);
    process.stdout.write(`${storage.location} is up to date (${results.length} migration(s) applied now)\n`);
  } finally {
    await storage.close();
  }
}

/** Opens storage and the account service without starting any server, for the admin commands. */
async function withAccounts<T>(fn: (store: AuthStore, accounts: AccountService) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const storage = openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await storage.migrate();
    const keyring = new Keyring(resolveSecretKey(config.secretKey, config.dataDir).secret);
    const store = new AuthStore(storage.db);
    const tokens = new TokenService(keyring.derive('jwt'), config.tokenTtlSeconds);
    return await fn(store, new AccountService(store, tokens, systemClock));
  } finally {
    await storage.close();
  }
}

function fail(message: string): never {
  process.stderr.write(`fieldline: ${message}\n`);
  process.exit(1);
}

const program = new Command()
  .name('fieldline')
  .description('Fieldline — open-source Industrial IoT platform')
  .version(VERSION)
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'run the Fieldline server (HTTP API, Socket.IO, MQTT broker) with the configuration from the environment',
  )
  .action(serve);

program.command('migrate').description('apply pending database migrations and exit').action(migrate);

const admin = program.command('admin').description('manage platform administrators');
admin
  .command('create')
  .description('create a platform administrator, owner of the Default organization')
  .requiredOption('-u, --username <name>', 'login name')
  .option('-p, --password <password>', 'password (generated and printed when omitted)')
  .action(async (opts: { username: string; password?: string }) => {
    await withAccounts(async (store) => {
      if (await store.userByUsername(opts.username))
        fail(`user '${opts.username}' exists; use 'fieldline admin reset-password'`);
      const password = opts.password ?? generatePassword();
      if (password.length < 8) fail('the password must be at least 8 characters');
      const now = Date.now();
      const id = newId(now);
      await store.insertUser({
        id,
        username: opts.username,
        email: null,
        display_name: null,
        password_hash: await hashPassword(password),
        is_platform_admin: 1,
        disabled: 0,
        password_changed_at: now,
        created_at: now,
        updated_at: now,
        last_login_at: null,
      });
      const org = await ensureDefaultOrganization(store, now);
      await store.addMember(id, org.id, 'owner', now);
      process.stdout.write(
        `created platform administrator '${opts.username}'${opts.password ? '' : ` with password ${password}`}\n`,
      );
    });
  });
admin
  .command('reset-password')
  .description("set a user's password (every session of that user is logged out)")
  .requiredOption('-u, --username <name>', 'login name')
  .option('-p, --password <password>', 'new password (generated and printed when omitted)')
  .action(async (opts: { username: string; password?: string }) => {
    await withAccounts(async (store, accounts) => {
      const user = await store.userByUsername(opts.username);
      if (!user) fail(`no user '${opts.username}'`);
      const password = opts.password ?? generatePassword();
      await accounts.setPassword(user.id, password);
      if (user.disabled) await store.updateUser(user.id, { disabled: 0 });
      process.stdout.write(`password of '${opts.username}' reset${opts.password ? '' : ` to ${password}`}\n`);
    });
  });

program.addOption(new Option('--no-color').hideHelp());

registerStackCommands(program, undefined, new StackBuilder({ dashboardProviders: [fieldlineDashboardProvider] }));
registerSecretCommands(program, configOrExit);
registerGrafanaCommands(program, () => configOrExit().databaseUrl);
registerSimulateCommand(program);

/** An error and what caused it, on one line: `fetch failed: connect ECONNREFUSED 127.0.0.1:8080`. */
function explain(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (!(e instanceof Error)) {
      parts.push(String(e));
      break;
    }
    // undici's "fetch failed" says why only in its cause; an AggregateError (every address refused) has no message.
    parts.push(e.message || (e as NodeJS.ErrnoException).code || e.name);
    e = e.cause;
  }
  return parts.join(': ');
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`fieldline: ${explain(err)}\n`);
  process.exit(1);
});
