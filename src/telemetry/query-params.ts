import { invalid } from '../kernel/index.js';
import { looksLikeEpochSeconds } from './codecs/timestamps.js';

/**
 * `start` / `end` of a telemetry query → epoch milliseconds: a number of milliseconds or anything `Date.parse`
 * reads (ISO 8601 above all). A number that looks like epoch seconds is refused rather than read as a time in
 * 1970–1973, which would answer an empty or whole-history range without a word.
 */
export function parseTime(name: string, raw: string | number | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const numeric = typeof raw === 'number' || /^\d+$/.test(raw);
  const n = numeric ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(n)) throw invalid(name, 'must be ISO 8601 or epoch milliseconds');
  if (numeric && looksLikeEpochSeconds(n))
    throw invalid(
      name,
      `${raw} looks like epoch seconds: send epoch milliseconds (${n * 1000}) or ISO 8601 (${new Date(n * 1000).toISOString()})`,
    );
  return n;
}

/** `keys=a,b` → the keys asked for, or null for all of them. */
export function parseKeys(raw: string | undefined): string[] | null {
  if (!raw) return null;
  return raw
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}
