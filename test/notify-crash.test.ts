import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './helpers/app.js';
import { ROOT, type ServeProcess, startServe } from './helpers/cli.js';
import { startReceiver, waitFor } from './helpers/notify.js';

const PASSWORD = 'notify-crash-pass';

describe('notifications survive a crash', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fl-notify-crash-'));
  let serving: ServeProcess | null = null;
  let hook: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'notify', 'module.js')))
      throw new Error('dist/ has no notifications module: run `npm run build` first (npm test does it)');
    hook = await startReceiver();
  });
  afterAll(async () => {
    await serving?.stop('SIGKILL');
    await hook?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every accepted notification after the process is killed while deliveries are pending', async () => {
    const env = {
      FIELDLINE_DATA_DIR: dataDir,
      FIELDLINE_ADMIN_PASSWORD: PASSWORD,
      FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8',
      FIELDLINE_WEBHOOK_RATE_LIMIT: '0',
      FIELDLINE_NOTIFY_CONCURRENCY: '4',
      FIELDLINE_NOTIFY_LEASE_MS: '1000',
    };
    // The receiver hangs: the first sends stay in flight, the rest wait in the outbox.
    hook.respond(() => null);
    serving = await startServe(env);
    const url = serving.url;
    const login = await apiCall(url, '/api/v1/auth/login', { body: { username: 'admin', password: PASSWORD } });
    const token: string = login.body.access_token;
    const accepted: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await apiCall(url, '/api/v1/notifications', {
        token,
        body: { channel: 'webhook', target: { url: `${hook.url}/n` }, subject: `Event ${i}`, message: `Event ${i}` },
      });
      expect(r.status).toBe(202);
      accepted.push(r.body.id);
    }
    await waitFor(() => hook.requests.length >= 4, 'sends in flight');
    expect(await serving.stop('SIGKILL')).toBeNull();
    serving = null;

    const answered = new Set<string>();
    hook.respond((req) => {
      answered.add(String(req.headers['x-fieldline-delivery']));
      return { status: 200 };
    });
    serving = await startServe(env);
    await waitFor(() => accepted.every((id) => answered.has(id)), 'every accepted notification delivered', 30_000);

    const token2 = (
      await apiCall(serving.url, '/api/v1/auth/login', { body: { username: 'admin', password: PASSWORD } })
    ).body.access_token;
    const delivered = await waitFor(async () => {
      const list = await apiCall(serving!.url, '/api/v1/notifications?status=delivered&limit=100', { token: token2 });
      return list.body.items.length === accepted.length ? list.body.items : null;
    }, 'all rows delivered');
    expect(new Set(delivered.map((n: { id: string }) => n.id))).toEqual(new Set(accepted));
  }, 90_000);
});
