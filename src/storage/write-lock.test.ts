import { describe, expect, it } from 'vitest';
import { withWriteLock } from './write-lock.js';

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('withWriteLock', () => {
  it('tries again while the lock is held, and answers what the transaction answered', () => {
    let tries = 0;
    const result = withWriteLock(() => {
      if (++tries < 4) throw busy();
      return 'committed';
    });
    expect(result).toBe('committed');
    expect(tries).toBe(4);
  });

  it('gives up with SQLITE_BUSY after its timeout', () => {
    let tries = 0;
    expect(() =>
      withWriteLock(() => {
        tries++;
        throw busy();
      }, 5),
    ).toThrow(/locked/);
    expect(tries).toBeGreaterThan(1);
  });

  it('never repeats a transaction that failed for another reason', () => {
    let tries = 0;
    const failure = Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(() =>
      withWriteLock(() => {
        tries++;
        throw failure;
      }),
    ).toThrow(failure);
    expect(tries).toBe(1);
  });
});
