import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiCall } from './helpers/app.js';
import { runCli, type ServeProcess, startServe } from './helpers/cli.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fl-cli-'));
  dirs.push(d);
  return d;
};
let serving: ServeProcess | null = null;

afterEach(async () => {
  await serving?.stop('SIGKILL');
  serving = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('fieldline CLI', () => {
  it('explains itself with --help on every command', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'admin']) expect(top.stdout).toContain(cmd);
    for (const args of [
      ['serve', '--help'],
      ['migrate', '--help'],
      ['admin', 'create', '--help'],
      ['admin', 'reset-password', '--help'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: fieldline');
    }
  });

  it('serves on first start with a printed admin password, and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    serving = await startServe({ FIELDLINE_DATA_DIR: dataDir });
    const banner = serving.output();
    const password = /created with password\s+(\S+)/.exec(banner)?.[1];
    expect(password).toBeDefined();

    const file = join(dataDir, 'admin-password.txt');
    expect(readFileSync(file, 'utf8').trim()).toBe(`admin:${password}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);

    const health = await apiCall(serving.url, '/health');
    expect(health.body).toMatchObject({ status: 'ok', database: { status: 'up', dialect: 'sqlite' } });
    const login = await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'admin', password } });
    expect(login.status).toBe(200);

    expect(await serving.stop('SIGTERM')).toBe(0);
    serving = null;
  });

  it('keeps its data, secret and admin across restarts, and prints no password the second time', async () => {
    const dataDir = tempDir();
    serving = await startServe({ FIELDLINE_DATA_DIR: dataDir, FIELDLINE_ADMIN_PASSWORD: 'first-start-pass' });
    expect(serving.output()).not.toContain('created with password');
    const token = (
      await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'admin', password: 'first-start-pass' } })
    ).body.access_token;
    expect(await serving.stop()).toBe(0);

    serving = await startServe({ FIELDLINE_DATA_DIR: dataDir });
    // Same secret key on disk: the token issued before the restart is still valid.
    expect((await apiCall(serving.url, '/api/v1/me', { token })).status).toBe(200);
    expect(serving.output()).not.toContain('created with password');
  });

  it('migrates, creates administrators and resets passwords', async () => {
    const env = { FIELDLINE_DATA_DIR: tempDir() };
    const migrated = await runCli(['migrate'], env);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('applied: 0001_foundation');
    expect((await runCli(['migrate'], env)).stdout).toContain('0 migration(s) applied now');

    const created = await runCli(['admin', 'create', '--username', 'ops-admin', '--password', 'ops-admin-pass'], env);
    expect(created.code).toBe(0);
    const reset = await runCli(['admin', 'reset-password', '--username', 'ops-admin'], env);
    expect(reset.code).toBe(0);
    const newPassword = /reset to (\S+)/.exec(reset.stdout)?.[1];
    expect(newPassword).toHaveLength(24);

    serving = await startServe(env);
    expect(
      (
        await apiCall(serving.url, '/api/v1/auth/login', {
          body: { username: 'ops-admin', password: 'ops-admin-pass' },
        })
      ).status,
    ).toBe(401);
    expect(
      (await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'ops-admin', password: newPassword } }))
        .status,
    ).toBe(200);

    expect((await runCli(['admin', 'reset-password', '--username', 'ghost'], env)).code).toBe(1);
  });

  it('refuses to start on a bad configuration, naming every problem, with exit code 2', async () => {
    const r = await runCli(['serve'], {
      FIELDLINE_HTTP_PORT: 'x',
      FIELDLINE_LOG_LEVEL: 'chatty',
      FIELDLINE_DATA_DIR: tempDir(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FIELDLINE_HTTP_PORT');
    expect(r.stderr).toContain('FIELDLINE_LOG_LEVEL');
    expect(r.stderr).toContain('2 problems');
  });
});
