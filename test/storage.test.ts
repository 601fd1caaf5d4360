import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../src/storage/index.js';
import { storageContract } from './suites/storage-contract.js';

storageContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-storage-'));
  return {
    storage: openStorage({ databaseUrl: null, dataDir: dir }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
