import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withWriteLock } from './write-lock.js';

let dir: string;
let db: SQLite.Database;
let other: SQLite.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldline-lock-'));
  const file = join(dir, 'db.sqlite');
  db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 0');
  db.exec('create table t (v integer)');
  other = new SQLite(file);
});

afterEach(() => {
  db.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = () => (db.prepare('select v from t order by v').all() as { v: number }[]).map((r) => r.v);

describe('withWriteLock', () => {
  it('commits what the body wrote and answers what it answered', () => {
    expect(withWriteLock(db, () => db.prepare('insert into t values (1)').run().changes)).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([1]);
  });

  it('waits while another connection holds the write lock, then runs the body once', async () => {
    // The other connection is in a thread of its own: this one blocks while it waits.
    const holder = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const db = new (require(workerData.module))(workerData.file);
       db.exec('BEGIN IMMEDIATE; insert into t values (1)');
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file: db.name } },
    );
    await new Promise((resolve) => holder.once('message', resolve));
    let runs = 0;
    withWriteLock(db, () => {
      runs++;
      db.prepare('insert into t values (2)').run();
    });
    expect(runs).toBe(1);
    expect(rows()).toEqual([1, 2]);
    await holder.terminate();
  });

  it('gives up with SQLITE_BUSY after its timeout, without running the body', () => {
    other.exec('BEGIN IMMEDIATE');
    let runs = 0;
    expect(() => withWriteLock(db, () => runs++, 5)).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    expect(runs).toBe(0);
    other.exec('ROLLBACK');
  });

  it('never runs a body again, not even one that failed with SQLITE_BUSY, and rolls it back', () => {
    let runs = 0;
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(() =>
      withWriteLock(db, () => {
        runs++;
        db.prepare('insert into t values (1)').run();
        throw busy;
      }),
    ).toThrow(busy);
    expect(runs).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([]);
  });

  it('rolls back a transaction whose COMMIT was refused, leaving the connection usable', () => {
    db.pragma('foreign_keys = ON');
    db.exec(
      'create table parent (id integer primary key); create table child (p integer references parent (id) deferrable initially deferred)',
    );
    expect(() =>
      withWriteLock(db, () => {
        db.prepare('insert into t values (1)').run();
        db.prepare('insert into child values (42)').run();
      }),
    ).toThrow(/FOREIGN KEY/);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([]);
    withWriteLock(db, () => db.prepare('insert into t values (2)').run());
    expect(rows()).toEqual([2]);
  });
});
