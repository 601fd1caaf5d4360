import { describe } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import { PostgresPointWriter } from '../../src/telemetry/index.js';
import { freshPgSchema, serviceUrl } from '../helpers/services.js';
import { pointWriterContract } from '../suites/point-writer-contract.js';

const base = serviceUrl('FIELDLINE_TEST_PG_URL');

if (base) {
  pointWriterContract('PostgreSQL', async () => {
    const { url, drop } = await freshPgSchema(base);
    const storage = openStorage({ databaseUrl: url, dataDir: '/tmp' });
    await storage.migrate();
    return {
      storage,
      writer: new PostgresPointWriter(storage.pool as NonNullable<typeof storage.pool>),
      cleanup: drop,
    };
  });
} else {
  describe.skipIf(true)('telemetry writer contract: PostgreSQL [skipped: FIELDLINE_TEST_PG_URL is not set]', () => {});
}
