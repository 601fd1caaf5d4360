import { TELEMETRY_LIMITS } from './limits.js';

// ISO 8601 / RFC 3339 date-time with an explicit zone (a zoneless time would be read in the server's local
// zone), or a bare date (UTC midnight). Run once per timestamp string, never per character.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * Reads a timestamp field as epoch milliseconds: a JSON number, a string of digits (epoch ms, as ThingsBoard
 * firmware sometimes sends), or — when `allowIso` — an ISO 8601 string. Answers NaN when it cannot.
 */
export function readTimestamp(raw: unknown, allowIso: boolean): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 40) return Number.NaN;
  if (isDecimalNumber(raw)) return Number(raw);
  if (allowIso && ISO_DATE_TIME.test(raw)) return Date.parse(raw);
  return Number.NaN;
}

/** Why `ts` cannot be stored, or undefined when it can. */
export function timestampProblem(ts: number, now: number): string | undefined {
  if (!Number.isFinite(ts)) return 'is not a finite number';
  if (ts < TELEMETRY_LIMITS.minTimestamp) {
    if (looksLikeEpochSeconds(ts)) {
      return `${ts} is before 2000-01-01 (looks like epoch seconds; epoch milliseconds are expected)`;
    }
    return `${ts} is before 2000-01-01`;
  }
  if (ts > now + TELEMETRY_LIMITS.maxFutureMs) return `${ts} is more than 24 h ahead of the server clock`;
  return undefined;
}

/**
 * Whether a number meant as epoch milliseconds is more likely epoch seconds: seconds for any date since 2000 land
 * in [946684800, 1e11), and as milliseconds those are 1970-01-11 … 1973-03-03, before anything can be stored.
 * It is the usual mistake, so it is named where it is refused (ingest, query parameters).
 */
export function looksLikeEpochSeconds(n: number): boolean {
  return n >= TELEMETRY_LIMITS.minTimestamp / 1000 && n < 1e11;
}

/** `-?digits(.digits)?` — what a device means by "a number written as a string". */
function isDecimalNumber(s: string): boolean {
  let i = s.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (i === s.length) return false;
  let digits = 0;
  let dot = false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 /* . */ && !dot && digits > 0) dot = true;
    else return false;
  }
  return digits > 0 && s.charCodeAt(s.length - 1) !== 46;
}
