import { type Dispatch, type SetStateAction, useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Local changes (the answer to an action) without asking the server again. */
  setData: Dispatch<SetStateAction<T | undefined>>;
  /**
   * A change pushed by the server (a Socket.IO event): applied to the data shown. If a load is in flight, its
   * answer may have been computed before the change and would overwrite it, so that load is repeated.
   */
  live: (update: (data: T) => T) => void;
  /** The data may be out of date (live events were missed): loads again, after the load in flight if any. */
  refresh: () => void;
  /**
   * Runs an action whose answer replaces the data. A live change that comes while the action runs may be newer
   * than the answer, so then it loads again.
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
  const liveChanges = useRef(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the reload trigger
  useEffect(() => {
    let current = true;
    inFlight.current = true;
    outdated.current = false;
    setLoading(true);
    const settle = () => {
      inFlight.current = false;
      if (outdated.current) setVersion((v) => v + 1);
    };
    load().then(
      (value) => {
        if (!current) return;
        settle();
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
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
    if (inFlight.current) outdated.current = true;
    setData((d) => (d === undefined ? d : update(d)));
  }, []);
  const replaceWith = useCallback(
    async (action: () => Promise<T>) => {
      const before = liveChanges.current;
      const value = await action();
      setData(value);
      if (liveChanges.current !== before) refresh();
    },
    [refresh],
  );
  return { data, error, loading, reload, setData, live, refresh, replaceWith };
}
