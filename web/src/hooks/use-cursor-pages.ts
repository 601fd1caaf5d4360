import { useCallback, useState } from 'react';
import type { Page } from '../api/types.js';
import { useLoad } from './use-load.js';

/**
 * Cursor pagination over a list API: next follows `next_cursor`, previous goes back to the cursor the page
 * before was fetched with. A new `fetchPage` (other filters) starts again at the first page.
 */
export function useCursorPages<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>) {
  const [state, setState] = useState<{ source: typeof fetchPage; cursors: (string | null)[] }>({
    source: fetchPage,
    cursors: [null],
  });
  const stale = state.source !== fetchPage;
  if (stale) setState({ source: fetchPage, cursors: [null] });
  const cursors = stale ? [null] : state.cursors;
  const cursor = cursors[cursors.length - 1] ?? null;
  const loaded = useLoad(useCallback(() => fetchPage(cursor), [fetchPage, cursor]));
  const next = loaded.data?.next_cursor ?? null;
  return {
    items: loaded.data?.items,
    error: loaded.error,
    loading: loaded.loading,
    reload: loaded.reload,
    refresh: loaded.refresh,
    /** A change (a pushed event, an action's answer) to the page shown; see Loaded.live. */
    setItems: (update: (items: T[]) => T[]) => loaded.live((d) => ({ ...d, items: update(d.items) })),
    page: cursors.length,
    hasPrevious: cursors.length > 1,
    hasNext: next !== null,
    next: () => {
      if (next !== null) setState({ source: fetchPage, cursors: [...cursors, next] });
    },
    previous: () => setState({ source: fetchPage, cursors: cursors.slice(0, -1) }),
  };
}
