import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/kernel/index.js';
import { OutboxStore } from '../../src/notify/outbox-store.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import type { TestApp } from '../helpers/app.js';
import { orgIdOf, startNotifyApp, startReceiver, waitFor } from '../helpers/notify.js';
import { freshPgSchema, serviceUrl, unlessSet } from '../helpers/services.js';

const base = serviceUrl('FIELDLINE_TEST_PG_URL');
const ORG = 'org-pg';

describe(`notification outbox on PostgreSQL${unlessSet('FIELDLINE_TEST_PG_URL', base)}`, () => {
  let url = '';
  let drop: () => Promise<void> = async () => {};
  const nodes: Storage[] = [];
  let a: OutboxStore;
  let b: OutboxStore;

  beforeAll(async () => {
    if (!base) return;
    ({ url, drop } = await freshPgSchema(base));
    for (let i = 0; i < 2; i++) nodes.push(openStorage({ databaseUrl: url, dataDir: '/tmp', poolSize: 4 }));
    await nodes[0]!.migrate();
    await nodes[0]!.db
      .insertInto('organizations')
      .values({ id: ORG, name: 'PG', slug: 'pg', settings: '{}', created_at: 0, updated_at: 0 })
      .execute();
    a = new OutboxStore(nodes[0]!.db, 'postgres');
    b = new OutboxStore(nodes[1]!.db, 'postgres');
  });

  afterAll(async () => {
    for (const n of nodes) await n.close();
    await drop();
  });

  const enqueue = async (store: OutboxStore, key = newId()) => {
    const id = newId();
    const r = await store.insert({
      id,
      organization_id: ORG,
      channel: 'webhook',
      event: 'message',
      target: '{}',
      target_secret: null,
      payload: '{}',
      idempotency_key: key,
      alert_id: null,
      created_at: Date.now() - 1,
    });
    return r;
  };

  it.skipIf(!base)(
    'gives each row to exactly one of several concurrent claimers (FOR UPDATE SKIP LOCKED)',
    async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 300; i++) ids.add((await enqueue(a)).id);
      const claimedBy = new Map<string, string>();
      const claimer = async (store: OutboxStore, owner: string) => {
        for (;;) {
          const rows = await store.claim(owner, 7, Date.now(), 60_000);
          if (rows.length === 0) return;
          for (const r of rows) {
            expect(claimedBy.has(r.id), `row ${r.id} claimed twice`).toBe(false);
            claimedBy.set(r.id, owner);
            expect(await store.markDelivered(r.id, owner, Date.now())).toBe(true);
          }
        }
      };
      await Promise.all([claimer(a, 'a1'), claimer(a, 'a2'), claimer(b, 'b1'), claimer(b, 'b2')]);
      expect(new Set(claimedBy.keys())).toEqual(ids);
      expect(new Set(claimedBy.values()).size).toBeGreaterThan(1);
    },
  );

  it.skipIf(!base)('claims a row again once its lease expired, and the old owner cannot complete it', async () => {
    const { id } = await enqueue(a);
    const [first] = await a.claim('dying-node', 10, Date.now(), 1);
    expect(first).toMatchObject({ id, attempts: 1, locked_by: 'dying-node' });
    await new Promise((r) => setTimeout(r, 10));
    const [again] = await b.claim('survivor', 10, Date.now(), 60_000);
    expect(again).toMatchObject({ id, attempts: 2, locked_by: 'survivor' });
    expect(await a.markDelivered(id, 'dying-node', Date.now())).toBe(false);
    expect(await b.markFailed(id, 'survivor', Date.now(), 'HTTP 500', Date.now() + 60_000)).toBe(true);
    expect(await b.claim('survivor', 10, Date.now(), 60_000)).toEqual([]);
    expect(await a.requeue(ORG, id, Date.now())).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await a.release(id, 'nobody', Date.now(), Date.now())).toBe(false);
  });

  it.skipIf(!base)('keeps one row per idempotency key, also when two nodes insert at once', async () => {
    const results = await Promise.all([enqueue(a, 'alert:x:alert.raised:0:0'), enqueue(b, 'alert:x:alert.raised:0:0')]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0]!.id).toBe(results[1]!.id);
  });

  it.skipIf(!base)('two Fieldline nodes on one database deliver every webhook exactly once', async () => {
    // Same schema as above: Kysely's migrator looks for its own tables in every schema, so a second fresh
    // schema beside a migrated one would be taken for migrated.
    await nodes[0]!.db.deleteFrom('notification_outbox').execute();
    const hook = await startReceiver();
    const env = {
      FIELDLINE_DATABASE_URL: url,
      FIELDLINE_SECRET_KEY: 'a-shared-secret-key-for-both-nodes-0123456789',
      FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8',
      FIELDLINE_WEBHOOK_RATE_LIMIT: '0',
    };
    const apps: TestApp[] = [];
    try {
      apps.push(await startNotifyApp(env));
      apps.push(await startNotifyApp(env));
      const org = await orgIdOf(apps[0]!);
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const node = apps[i % 2]!;
        const r = await node.app.notifications.notifier.enqueue({
          organizationId: org,
          channel: 'webhook',
          target: { url: `${hook.url}/n${i}` },
          content: { kind: 'message', subject: `m${i}`, message: `m${i}`, severity: 'info', at: Date.now() },
        });
        ids.push(r.id);
      }
      await waitFor(() => hook.requests.length >= ids.length, 'every webhook');
      const deliveries = hook.requests.map((r) => String(r.headers['x-fieldline-delivery']));
      expect(deliveries.sort()).toEqual([...ids].sort());
      await waitFor(async () => {
        const list = await apps[1]!.api('/api/v1/notifications?status=delivered&limit=100', {
          token: apps[1]!.adminToken,
        });
        return list.body.items.length === ids.length;
      }, 'all delivered');
    } finally {
      for (const t of apps) await t.close();
      await hook.close();
    }
  });
});
