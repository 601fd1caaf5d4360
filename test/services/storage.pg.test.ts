import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import { freshPgSchema, serviceUrl } from '../helpers/services.js';
import { storageContract } from '../suites/storage-contract.js';

const base = serviceUrl('FIELDLINE_TEST_PG_URL');

if (base) {
  storageContract('PostgreSQL', async () => {
    const { url, drop } = await freshPgSchema(base);
    return { storage: openStorage({ databaseUrl: url, dataDir: '/tmp' }), cleanup: drop };
  });
} else {
  describe.skipIf(true)('storage contract: PostgreSQL [skipped: FIELDLINE_TEST_PG_URL is not set]', () => {});
}

if (base) {
  describe('migrations on PostgreSQL', () => {
    it('migrate a fresh schema even when another schema of the database is already migrated', async () => {
      const first = await freshPgSchema(base);
      const second = await freshPgSchema(base);
      try {
        const a = openStorage({ databaseUrl: first.url, dataDir: '/tmp' });
        expect((await a.migrate()).length).toBeGreaterThan(0);
        await a.close();
        const b = openStorage({ databaseUrl: second.url, dataDir: '/tmp' });
        const applied = await b.migrate();
        expect(applied.map((r) => r.status).every((s) => s === 'Success')).toBe(true);
        expect(applied.length).toBeGreaterThan(0);
        await b.ping();
        await b.close();
      } finally {
        await first.drop();
        await second.drop();
      }
    });
  });
}
