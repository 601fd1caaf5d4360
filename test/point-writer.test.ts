import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../src/storage/index.js';
import { SqliteThreadWriter } from '../src/telemetry/index.js';
import { pointWriterContract } from './suites/point-writer-contract.js';

pointWriterContract('SQLite (writer thread)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-point-writer-'));
  const storage = openStorage({ databaseUrl: null, dataDir: dir });
  await storage.migrate();
  const writer = new SqliteThreadWriter(join(dir, 'fieldline.db'));
  await writer.start();
  return { storage, writer, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});
