import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, newId } from '../kernel/index.js';
import { openStorage, type Storage } from '../storage/index.js';
import { retryDelay } from './backoff.js';
import { type OutboxRow, OutboxStore } from './outbox-store.js';
import { type DeliveryOutcome, OutboxWorker, type OutboxWorkerOptions } from './outbox-worker.js';

const log = createLogger('silent');
const clock = { now: () => Date.now() };
const ORG = 'org-1';

let storage: Storage;
let store: OutboxStore;
const workers: OutboxWorker[] = [];

async function enqueue(key = newId()): Promise<string> {
  const id = newId();
  await store.insert({
    id,
    organization_id: ORG,
    channel: 'webhook',
    event: 'alert.raised',
    target: '{"url":"https://example.com/"}',
    target_secret: null,
    payload: '{}',
    idempotency_key: key,
    alert_id: null,
    created_at: clock.now(),
  });
  return id;
}

const row = async (id: string) => (await store.get(ORG, id))!;

function worker(
  deliver: (row: OutboxRow, signal: AbortSignal) => Promise<DeliveryOutcome>,
  o: Partial<OutboxWorkerOptions> = {},
) {
  const w = new OutboxWorker({
    store,
    handler: { deliver },
    clock,
    log,
    concurrency: 4,
    leaseMs: 5000,
    pollMs: 1000,
    maxAttempts: 4,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    random: () => 1,
    ...o,
  });
  workers.push(w);
  return w;
}

beforeEach(async () => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'],
  });
  vi.setSystemTime(1_700_000_000_000);
  storage = openStorage({ databaseUrl: null, dataDir: '.', sqliteFile: ':memory:' });
  await storage.migrate();
  await storage.db
    .insertInto('organizations')
    .values({ id: ORG, name: 'Org', slug: 'org', settings: '{}', created_at: 0, updated_at: 0 })
    .execute();
  store = new OutboxStore(storage.db, 'sqlite');
});

afterEach(async () => {
  const stopping = Promise.all(workers.splice(0).map((w) => w.stop()));
  await vi.advanceTimersByTimeAsync(10_000);
  await stopping;
  vi.useRealTimers();
  await storage.close();
});

describe('retryDelay', () => {
  it('doubles from the base, is capped, and jitters within the upper half', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(a, 1000, 60_000, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(retryDelay(3, 1000, 60_000, () => 0)).toBe(2000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(3, 1000, 60_000);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });
});

describe('OutboxWorker', () => {
  it('retries with exponential backoff, then dead-letters after the attempt limit', async () => {
    const calls: number[] = [];
    const w = worker(async () => {
      calls.push(clock.now());
      return { kind: 'failed', error: 'HTTP 500: boom', permanent: false };
    });
    const id = await enqueue();
    const t0 = clock.now();
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([t0]);
    expect(await row(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      next_attempt_at: t0 + 1000,
      last_error: 'HTTP 500: boom',
    });

    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(4000);
    expect(calls.map((c) => c - t0)).toEqual([0, 1000, 3000, 7000]);
    expect(await row(id)).toMatchObject({ status: 'dead', attempts: 4, locked_by: null });

    await vi.advanceTimersByTimeAsync(100_000);
    expect(calls).toHaveLength(4);
  });

  it('re-queues a dead row with a fresh budget, and then delivers it', async () => {
    let fail = true;
    const w = worker(async () => (fail ? { kind: 'failed', error: 'x', permanent: true } : { kind: 'delivered' }));
    const id = await enqueue();
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await row(id)).toMatchObject({ status: 'dead', attempts: 1 });
    fail = false;
    expect(await store.requeue(ORG, id, clock.now())).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await store.requeue('other-org', id, clock.now())).toBeUndefined();
    w.wake();
    await vi.waitFor(async () => expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 1 }));
    expect(await store.requeue(ORG, id, clock.now())).toBeUndefined();
  });

  it('waits at least as long as the receiver asks with Retry-After', async () => {
    const calls: number[] = [];
    const w = worker(async () => {
      calls.push(clock.now());
      return calls.length === 1
        ? { kind: 'failed', error: 'HTTP 429', permanent: false, retryAfterMs: 30_000 }
        : { kind: 'delivered' };
    });
    const id = await enqueue();
    w.start();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect((await row(id)).status).toBe('delivered');
  });

  it('claims again a row whose lease expired because its node died', async () => {
    const id = await enqueue();
    const [claimed] = await store.claim('node-that-died', 10, clock.now(), 5000);
    expect(claimed).toMatchObject({ id, status: 'sending', attempts: 1 });
    const seen: string[] = [];
    const w = worker(async (r) => {
      seen.push(r.id);
      return { kind: 'delivered' };
    });
    w.start();
    await vi.advanceTimersByTimeAsync(4000);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toEqual([id]);
    expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 2 });
    // The dead node's late answer cannot overwrite the outcome.
    expect(await store.markFailed(id, 'node-that-died', clock.now(), 'late', null)).toBe(false);
  });

  it('renews the lease while a slow send runs, so nobody else takes the row', async () => {
    let release: () => void = () => {};
    const a = worker(
      () =>
        new Promise<DeliveryOutcome>((resolve) => {
          release = () => resolve({ kind: 'delivered' });
        }),
    );
    const id = await enqueue();
    a.start();
    await vi.advanceTimersByTimeAsync(0);
    const other = vi.fn(async (): Promise<DeliveryOutcome> => ({ kind: 'delivered' }));
    worker(other).start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(other).not.toHaveBeenCalled();
    release();
    await vi.waitFor(async () => expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 1 }));
  });

  it('defers a rate-limited row without spending an attempt', async () => {
    let n = 0;
    const w = worker(async () => (++n === 1 ? { kind: 'deferred', until: clock.now() + 500 } : { kind: 'delivered' }));
    const id = await enqueue();
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0 });
    await vi.advanceTimersByTimeAsync(500);
    await vi.waitFor(async () => expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 1 }));
  });

  it('on stop lets sends finish within the grace time, then gives the others back', async () => {
    const w = worker(
      (_row, signal) =>
        new Promise<DeliveryOutcome>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
      { stopGraceMs: 100 },
    );
    const id = await enqueue();
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect((await row(id)).status).toBe('sending');
    const stopped = w.stop();
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0, locked_by: null });
  });

  it('waits for a free slot when saturated, even when woken meanwhile', async () => {
    const releases: (() => void)[] = [];
    const w = worker(
      () =>
        new Promise<DeliveryOutcome>((resolve) => {
          releases.push(() => resolve({ kind: 'delivered' }));
        }),
      { concurrency: 1 },
    );
    const claim = vi.spyOn(store, 'claim');
    const first = await enqueue();
    const second = await enqueue();
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    w.wake();
    w.wake();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(releases).toHaveLength(1);
    expect(claim.mock.calls.length).toBeLessThanOrEqual(3);
    releases[0]!();
    await vi.waitFor(() => expect(releases).toHaveLength(2));
    releases[1]!();
    await vi.waitFor(async () => {
      expect((await row(first)).status).toBe('delivered');
      expect((await row(second)).status).toBe('delivered');
    });
  });

  it('is woken at once by an enqueue instead of waiting for the poll', async () => {
    const seen: string[] = [];
    const w = worker(
      async (r) => {
        seen.push(r.id);
        return { kind: 'delivered' };
      },
      { pollMs: 60_000 },
    );
    w.start();
    await vi.advanceTimersByTimeAsync(10);
    const id = await enqueue();
    w.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([id]);
  });

  it('never gives one row to two workers', async () => {
    const sent: string[] = [];
    const deliver = async (r: OutboxRow): Promise<DeliveryOutcome> => {
      sent.push(r.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { kind: 'delivered' };
    };
    const ids = await Promise.all(Array.from({ length: 60 }, () => enqueue()));
    const a = worker(deliver);
    const b = worker(deliver);
    a.start();
    b.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect([...sent].sort()).toEqual([...ids].sort());
    const backlog = await store.backlog(clock.now());
    expect(backlog).toMatchObject({ pending: 0, sending: 0, failed: 0, dead: 0 });
  });

  it('answers the existing id for a repeated idempotency key', async () => {
    const first = await enqueue('alert:a1:alert.raised:0:0');
    const again = await store.insert({
      id: newId(),
      organization_id: ORG,
      channel: 'email',
      event: 'alert.raised',
      target: '{}',
      target_secret: null,
      payload: '{}',
      idempotency_key: 'alert:a1:alert.raised:0:0',
      alert_id: 'a1',
      created_at: clock.now(),
    });
    expect(again).toEqual({ id: first, created: false });
  });
});
