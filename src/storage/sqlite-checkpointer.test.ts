import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { openSqliteConnection } from './sqlite-connection.js';

describe('SqliteCheckpointer', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** A database file in a directory of its own, removed after the test. */
  const databasePath = () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-ckpt-'));
    dirs.push(dir);
    return join(dir, 'db.sqlite');
  };

  it('copies committed WAL frames into the database file on its own thread, beside a writer', async () => {
    const path = databasePath();
    const db = openSqliteConnection(path);
    db.exec('create table t (id integer primary key, v text)');
    const insert = db.prepare('insert into t (v) values (?)');
    const checkpointer = new SqliteCheckpointer(path, pino({ level: 'silent' }), 20);
    checkpointer.start();
    // Commits far below wal_autocheckpoint: without the thread, these frames would stay in the WAL.
    for (let i = 0; i < 50; i++) db.transaction(() => insert.run('x'.repeat(2000)))();
    await expect
      .poll(() => checkpointer.stats.runs > 0 && checkpointer.stats.checkpointedFrames === checkpointer.stats.walFrames)
      .toBe(true);
    expect(checkpointer.stats.walFrames).toBeGreaterThan(0);
    await checkpointer.stop();
    // Stopped: the writer goes on, and the data is all there.
    insert.run('after');
    expect((db.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(51);
    db.close();
  });

  it('keeps up with a writer that never checkpoints, so the WAL rewinds instead of growing', async () => {
    const path = databasePath();
    const db = openSqliteConnection(path);
    // This writer never checkpoints: only the thread can let SQLite rewind the WAL (which needs every frame
    // copied back when a write begins).
    db.pragma('wal_autocheckpoint = 0');
    db.exec('create table t (id integer primary key, v text)');
    const insert = db.prepare('insert into t (v) values (?)');
    const checkpointer = new SqliteCheckpointer(path, pino({ level: 'silent' }), 250);
    checkpointer.start();
    const seen: number[] = [];
    for (let i = 0; i < 400 && !(seen.length > 1 && (seen.at(-1) as number) < Math.max(...seen)); i++) {
      db.transaction(() => insert.run('x'.repeat(2000)))();
      await new Promise((r) => setTimeout(r, 2));
      if (checkpointer.stats.walFrames !== seen.at(-1)) seen.push(checkpointer.stats.walFrames);
    }
    await checkpointer.stop();
    // The WAL's frame count went down at least once: it was rewound while the writes went on.
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBeLessThan(Math.max(...seen));
    db.close();
  });

  it('stops cleanly even when it is the only thing left running', async () => {
    const path = databasePath();
    openSqliteConnection(path).close();
    const checkpointer = new SqliteCheckpointer(path, pino({ level: 'silent' }));
    checkpointer.start();
    await checkpointer.stop();
    await checkpointer.stop();
  });
});
