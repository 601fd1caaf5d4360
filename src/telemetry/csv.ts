import type { Point } from './query.js';

/** The first line of every telemetry CSV answer. */
export const CSV_HEADER = 'device_id,key,ts,value';

/**
 * Characters that make a spreadsheet read a cell as a formula when they lead it (OWASP, "CSV Injection"): a device
 * sending `=HYPERLINK(…)` as a value, or a key named so, must not run in the engineer's Excel.
 */
const FORMULA_LEAD = /^[=+\-@\t\r]/;

/** A field that must be quoted (RFC 4180 §2.6): it holds a separator, a quote or a line break. */
const NEEDS_QUOTES = /[",\n\r]/;

/**
 * One CSV field. Texts (values, keys, ids — all chosen by users or devices) that a spreadsheet would read as a
 * formula get a leading `'` and quotes, as OWASP advises; numbers, booleans and JSON are written as JSON, so a
 * negative number stays `-5`. Quotes are doubled inside quoted fields (RFC 4180 §2.7).
 */
export function csvField(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && FORMULA_LEAD.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One `device_id,key,ts,value` line (without its line break). */
export function csvLine(deviceId: string, key: string, point: Point): string {
  return `${csvField(deviceId)},${csvField(key)},${new Date(point.ts).toISOString()},${csvField(point.value)}`;
}

/** A whole answer: the header, then each key's points in the order given, every line ending with `\n`. */
export function telemetryCsv(deviceId: string, series: Record<string, Point[]>): string {
  let out = `${CSV_HEADER}\n`;
  for (const [key, points] of Object.entries(series)) {
    for (const point of points) out += `${csvLine(deviceId, key, point)}\n`;
  }
  return out;
}
