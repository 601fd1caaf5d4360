import { describe, expect, it } from 'vitest';
import { type Admission, EdgeNodeLanes } from './edge-node-lanes.js';

/** A promise settled from outside. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('EdgeNodeLanes', () => {
  it('admits the messages of one edge node in arrival order, each after the one before was admitted', async () => {
    const lanes = new EdgeNodeLanes();
    const log: string[] = [];
    const registration = deferred();
    const birth = lanes.push('Plant1/Line4', async () => {
      log.push('birth admitted');
      await registration.promise;
      log.push('birth registered');
      return { outcome: 'birth', committed: Promise.resolve() };
    });
    const data = lanes.push('Plant1/Line4', async () => {
      log.push('data admitted');
      return { outcome: 'data', committed: Promise.resolve() };
    });
    await flush();
    expect(log).toEqual(['birth admitted']);
    registration.resolve();
    expect(await Promise.all([birth, data])).toEqual(['birth', 'data']);
    expect(log).toEqual(['birth admitted', 'birth registered', 'data admitted']);
    await flush();
    expect(lanes.size).toBe(0);
  });

  it('keeps edge nodes apart: one waiting does not hold up another', async () => {
    const lanes = new EdgeNodeLanes();
    const stuck = deferred();
    void lanes.push('Plant1/Line4', async () => {
      await stuck.promise;
      return { outcome: 1, committed: Promise.resolve() };
    });
    const other = lanes.push('Plant1/Line5', async () => ({ outcome: 2, committed: Promise.resolve() }));
    expect(await other).toBe(2);
    stuck.resolve();
  });

  it('admits the next message while the commit before it is still running, and answers after its own commit', async () => {
    const lanes = new EdgeNodeLanes();
    const firstCommit = deferred();
    const first = lanes.push('k', async () => ({ outcome: 'first', committed: firstCommit.promise }));
    let secondAdmitted = false;
    let secondDone = false;
    const second = lanes
      .push('k', async () => {
        secondAdmitted = true;
        return { outcome: 'second', committed: Promise.resolve() };
      })
      .then((outcome) => {
        secondDone = true;
        return outcome;
      });
    await flush();
    expect(secondAdmitted).toBe(true);
    expect(secondDone).toBe(true);
    firstCommit.resolve();
    expect(await first).toBe('first');
    expect(await second).toBe('second');
  });

  it('tells a message when the commits of the messages before it are done', async () => {
    const lanes = new EdgeNodeLanes();
    const dataCommit = deferred();
    const log: string[] = [];
    void lanes.push('k', async () => ({ outcome: 'data', committed: dataCommit.promise }));
    const death = lanes.push('k', async (earlierCommits): Promise<Admission<string>> => {
      await earlierCommits;
      log.push('offline');
      return { outcome: 'death', committed: Promise.resolve() };
    });
    await flush();
    expect(log).toEqual([]);
    dataCommit.resolve();
    expect(await death).toBe('death');
    expect(log).toEqual(['offline']);
  });

  it('does not wedge an edge node after a failed admission or commit', async () => {
    const lanes = new EdgeNodeLanes();
    const failedBirth = lanes.push('k', async () => {
      throw new Error('registration failed');
    });
    const failedCommit = lanes.push('k', async () => ({
      outcome: 'x',
      committed: Promise.reject(new Error('commit failed')),
    }));
    const next = lanes.push('k', async (earlierCommits) => {
      await earlierCommits;
      return { outcome: 'next', committed: Promise.resolve() };
    });
    await expect(failedBirth).rejects.toThrow('registration failed');
    await expect(failedCommit).rejects.toThrow('commit failed');
    expect(await next).toBe('next');
    await flush();
    expect(lanes.size).toBe(0);
  });
});
