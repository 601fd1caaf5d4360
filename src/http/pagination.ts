import { invalid } from '../kernel/index.js';

/**
 * Cursors are the last item's sort key, base64url-encoded so clients treat them as opaque. Ids are UUIDv7
 * (time-ordered), so `id > cursor` pages in creation order without offsets.
 */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded || Buffer.from(decoded).toString('base64url') !== cursor)
    throw invalid('cursor', 'is not a cursor this server issued');
  return decoded;
}

export const encodeCursor = (key: string): string => Buffer.from(key).toString('base64url');

/** Fetch limit+1 rows, answer limit of them, and a cursor when there were more. */
export function page<R, T>(rows: R[], limit: number, key: (row: R) => string, map: (row: R) => T) {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), next_cursor: more && last !== undefined ? encodeCursor(key(last)) : null };
}
