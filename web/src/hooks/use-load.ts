import { type Dispatch, type SetStateAction, useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Local changes (the answer to an action) without asking the server again. */
  setData: Dispatch<SetStateAction<T | undefined>>;
  /**
   * A change pushed by the server (a Socket.IO event): applied to the data shown, and again to the answer of
   * the load in flight, if any — that answer may have been computed before the change. So an update must set
   * state (a status, an upserted row), never add to it, and updates are applied in the order they came.
   */
  live: (update: (data: T) => T) => void;
  /** The data may be out of date (live events were missed): loads again, after the load in flight if any. */
  refresh: () => void;
  /**
   * Runs an action whose answer replaces the data. A live change that comes while the action runs, or a load
   * in flight when it is answered, may be newer or older than the answer: then it loads again (once).
   */
  replaceWith: (action: () => Promise<T>) => Promise<void>;
}

/**
 * Loads data when `load` changes (wrap it in useCallback with what it depends on), and again on reload().
 * An answer that arrives after a newer load started is dropped.
 */
export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  // Refs, not state: a Socket.IO event may come between an answer and the render that shows it.
  const inFlight = useRef(false);
  const outdated = useRef(false);
  /** Live updates received while the load is in flight, for its answer. */
  const pending = useRef<((data: T) => T)[]>([]);
  const liveChanges = useRef(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the reload trigger
  useEffect(() => {
    let current = true;
    inFlight.current = true;
    outdated.current = false;
    pending.current = [];
    setLoading(true);
    const settle = () => {
      inFlight.current = false;
      if (outdated.current) setVersion((v) => v + 1);
    };
    load().then(
      (value) => {
        if (!current) return;
        const updates = pending.current;
        pending.current = [];
        settle();
        setData(updates.reduce((d, update) => update(d), value));
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        pending.current = [];
        settle();
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [load, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const refresh = useCallback(() => {
    if (inFlight.current) outdated.current = true;
    else setVersion((v) => v + 1);
  }, []);
  const live = useCallback((update: (data: T) => T) => {
    liveChanges.current++;
    if (inFlight.current) pending.current.push(update);
    setData((d) => (d === undefined ? d : update(d)));
  }, []);
  const replaceWith = useCallback(
    async (action: () => Promise<T>) => {
      const before = liveChanges.current;
      const value = await action();
      setData(value);
      if (liveChanges.current !== before || inFlight.current) refresh();
    },
    [refresh],
  );
  return { data, error, loading, reload, setData, live, refresh, replaceWith };
}
