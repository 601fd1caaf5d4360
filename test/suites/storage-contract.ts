import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceStore } from '../../src/devices/index.js';
import { newId } from '../../src/kernel/index.js';
import { isUniqueViolation, type Storage } from '../../src/storage/index.js';

/** What every domain relies on from storage, run against SQLite (integration tier) and PostgreSQL (services tier). */
export function storageContract(name: string, open: () => Promise<{ storage: Storage; cleanup: () => Promise<void> }>) {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ storage, cleanup } = await open());
      await storage.migrate();
    });
    afterAll(async () => {
      await storage.close();
      await cleanup();
    });

    it('migrations are idempotent: a second run applies nothing', async () => {
      expect(await storage.migrate()).toEqual([]);
    });

    it('round-trips rows with epoch-ms bigints as numbers and JSON as text', async () => {
      const now = Date.now();
      const id = newId();
      await storage.db
        .insertInto('organizations')
        .values({
          id,
          name: 'Plant A',
          slug: `plant-${id}`,
          settings: '{"retention_days":30}',
          created_at: now,
          updated_at: now,
        })
        .execute();
      const row = await storage.db
        .selectFrom('organizations')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.created_at).toBe(now);
      expect(typeof row.created_at).toBe('number');
      expect(JSON.parse(row.settings)).toEqual({ retention_days: 30 });
    });

    it('reports unique violations the same way on both dialects', async () => {
      const now = Date.now();
      const values = {
        id: newId(),
        name: 'X',
        slug: `dup-${newId()}`,
        settings: '{}',
        created_at: now,
        updated_at: now,
      };
      await storage.db.insertInto('organizations').values(values).execute();
      const err = await storage.db
        .insertInto('organizations')
        .values({ ...values, id: newId() })
        .execute()
        .catch((e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
    });

    it('cascades memberships when an organization is deleted', async () => {
      const now = Date.now();
      const orgId = newId();
      const userId = newId();
      await storage.db
        .insertInto('organizations')
        .values({ id: orgId, name: 'Gone', slug: `gone-${orgId}`, settings: '{}', created_at: now, updated_at: now })
        .execute();
      await storage.db
        .insertInto('users')
        .values({
          id: userId,
          username: `u-${userId}`,
          email: null,
          display_name: null,
          password_hash: 'x',
          is_platform_admin: 0,
          disabled: 0,
          password_changed_at: now,
          created_at: now,
          updated_at: now,
          last_login_at: null,
        })
        .execute();
      await storage.db
        .insertInto('memberships')
        .values({ user_id: userId, organization_id: orgId, role: 'viewer', created_at: now })
        .execute();
      await storage.db.deleteFrom('organizations').where('id', '=', orgId).execute();
      const left = await storage.db
        .selectFrom('memberships')
        .selectAll()
        .where('organization_id', '=', orgId)
        .execute();
      expect(left).toEqual([]);
    });

    it('runs transactions atomically: a failure rolls back every statement', async () => {
      const now = Date.now();
      const id = newId();
      await expect(
        storage.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('organizations')
            .values({ id, name: 'T', slug: `t-${id}`, settings: '{}', created_at: now, updated_at: now })
            .execute();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(
        await storage.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst(),
      ).toBeUndefined();
    });

    it('writes the presence of many devices at once, leaving other devices alone', async () => {
      const now = Date.now();
      const orgId = newId();
      await storage.db
        .insertInto('organizations')
        .values({ id: orgId, name: 'P', slug: `p-${orgId}`, settings: '{}', created_at: now, updated_at: now })
        .execute();
      const ids = ['a', 'b', 'c'].map((n) => `presence-${n}-${orgId}`);
      await storage.db
        .insertInto('devices')
        .values(
          ids.map((id) => ({
            id,
            organization_id: orgId,
            name: id,
            device_type: 'default',
            active: 1,
            metadata: '{}',
            attributes: '{}',
            status: 'offline',
            token_hash: `hash-${id}`,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      await new DeviceStore(storage.db, storage.dialect).writePresence([
        { id: ids[0] as string, status: 'online', last_seen: now + 1 },
        { id: ids[1] as string, status: 'offline', last_seen: null },
      ]);
      const rows = await storage.db
        .selectFrom('devices')
        .select(['id', 'status', 'last_seen'])
        .where('organization_id', '=', orgId)
        .orderBy('id')
        .execute();
      expect(rows.map((r) => ({ ...r, last_seen: r.last_seen === null ? null : Number(r.last_seen) }))).toEqual([
        { id: ids[0], status: 'online', last_seen: now + 1 },
        { id: ids[1], status: 'offline', last_seen: null },
        { id: ids[2], status: 'offline', last_seen: null },
      ]);
    });

    it('answers ping', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });
  });
}
