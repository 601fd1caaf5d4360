import { describe, expect, it } from 'vitest';
import { parseKeys, parseTime } from './query-params.js';

describe('parseTime', () => {
  it('reads epoch milliseconds, ISO 8601 and what Date.parse reads, and falls back when absent', () => {
    expect(parseTime('start', '1767225600000', 0)).toBe(1_767_225_600_000);
    expect(parseTime('start', 1_767_225_600_000, 0)).toBe(1_767_225_600_000);
    expect(parseTime('start', '2026-01-01T00:00:00Z', 0)).toBe(1_767_225_600_000);
    expect(parseTime('start', '2026-01-01', 0)).toBe(1_767_225_600_000);
    expect(parseTime('start', undefined, 42)).toBe(42);
    expect(parseTime('start', '', 42)).toBe(42);
    // Small numbers are milliseconds still: start=0 means from the beginning.
    expect(parseTime('start', '0', 42)).toBe(0);
  });

  it('refuses epoch seconds, saying what to send instead', () => {
    expect(() => parseTime('start', '1767225600', 0)).toThrow(
      'start: 1767225600 looks like epoch seconds: send epoch milliseconds (1767225600000) or ISO 8601 (2026-01-01T00:00:00.000Z)',
    );
    expect(() => parseTime('end', 1_767_225_600, 0)).toThrow(/^end: .*looks like epoch seconds/);
    expect(() => parseTime('end', 99_999_999_999, 0)).toThrow(/looks like epoch seconds/);
    expect(parseTime('end', 100_000_000_000, 0)).toBe(100_000_000_000);
  });

  it('refuses what is no time', () => {
    expect(() => parseTime('end', 'soon', 0)).toThrow('end: must be ISO 8601 or epoch milliseconds');
  });
});

describe('parseKeys', () => {
  it('splits on commas and trims, all keys when absent', () => {
    expect(parseKeys('a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseKeys(undefined)).toBeNull();
    expect(parseKeys('')).toBeNull();
  });
});
