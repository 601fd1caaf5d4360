/** What admitting one message gave: its outcome, and its commit (settled once its readings are stored). */
export interface Admission<T> {
  outcome: T;
  committed: Promise<void>;
}

interface Lane {
  /** Settles once every message queued so far was admitted (or failed to be). */
  admitted: Promise<void>;
  /** Settles once every message queued so far was committed (or failed to be). */
  committed: Promise<void>;
  queued: number;
}

const SETTLED: Promise<void> = Promise.resolve();
const ignore = (): void => undefined;

/**
 * The messages of each Sparkplug edge node, in arrival order; different edge nodes never wait for each other.
 * A message is admitted — its device looked up or registered from a birth, presence changed, readings handed to
 * the group commit — only after the one before it of the same edge node was, so the NDATA/DDATA that follow a
 * birth find the devices it registered. Commits are not serialized: the readings of consecutive messages still
 * share group commits, and each message's promise settles after its own commit (the PUBACK waits for it).
 *
 * Nothing here waits for a later message or for an acknowledgement, so the order cannot deadlock against the
 * broker holding a PUBACK until the commit; a failed admission or commit rejects that message's promise only,
 * and the next message of its edge node is admitted as usual.
 */
export class EdgeNodeLanes {
  private readonly lanes = new Map<string, Lane>();

  /**
   * Queues one message of the edge node `key`. `admit` runs once every earlier message of that edge node was
   * admitted, and is given a promise that settles once their commits did (a death waits for it before taking
   * devices offline: a commit marks its device seen, which would bring it back online). Answers the outcome
   * once this message's own commit is done; rejects when its admission or commit failed.
   */
  push<T>(key: string, admit: (earlierCommits: Promise<void>) => Promise<Admission<T>>): Promise<T> {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { admitted: SETTLED, committed: SETTLED, queued: 0 };
      this.lanes.set(key, lane);
    }
    const current = lane;
    current.queued++;
    const earlierCommits = current.committed;
    const admission = current.admitted.then(() => admit(earlierCommits));
    current.admitted = admission.then(ignore, ignore);
    const committed = admission.then((a) => a.committed);
    current.committed = Promise.all([earlierCommits, committed.then(ignore, ignore)]).then(ignore);
    void current.committed.then(() => {
      // Lanes of idle edge nodes are dropped; the next message starts a fresh one.
      if (--current.queued === 0 && this.lanes.get(key) === current) this.lanes.delete(key);
    });
    return Promise.all([admission, committed]).then(([a]) => a.outcome);
  }

  /** Edge nodes with messages in flight. */
  get size(): number {
    return this.lanes.size;
  }
}
