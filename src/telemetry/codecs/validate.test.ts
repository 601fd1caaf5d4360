import { describe, expect, it } from 'vitest';
import { TELEMETRY_LIMITS } from './limits.js';
import { readTimestamp, timestampProblem } from './timestamps.js';
import { keyProblem, nestedJsonProblem, ReadingSink, stringProblem } from './validate.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('keyProblem', () => {
  it('accepts ordinary keys, spaces, dots, unicode and emoji', () => {
    for (const key of [
      'temperature',
      'Inputs.Temperature',
      'flow rate',
      'température',
      'µ-strain',
      '温度',
      'ok👍',
      'a'.repeat(128),
    ]) {
      expect(keyProblem(key)).toBeUndefined();
    }
  });

  it.each([
    ['', /empty key/],
    ['a'.repeat(129), /longer than 128/],
    ['line\nfeed', /control character/],
    ['nul\u0000', /control character/],
    ['del\u007f', /control character/],
    ['c1\u0085', /control character/],
    ['a/b', /contains '\/'/],
    ['a+b', /contains '\+'/],
    ['a#b', /contains '#'/],
    ['lone\ud800', /well-formed/],
    ['\udc00lone', /well-formed/],
  ])('refuses %j', (key, message) => {
    expect(keyProblem(key)).toMatch(message);
  });
});

describe('stringProblem', () => {
  it('accepts strings up to 4,096 characters', () => {
    expect(stringProblem('x'.repeat(TELEMETRY_LIMITS.maxStringLength))).toBeUndefined();
  });

  it('refuses longer strings, NUL (PostgreSQL cannot store it) and lone surrogates', () => {
    expect(stringProblem('x'.repeat(TELEMETRY_LIMITS.maxStringLength + 1))).toMatch(/longer than 4096/);
    expect(stringProblem('a\u0000b')).toMatch(/NUL/);
    expect(stringProblem('a\ud83d')).toMatch(/well-formed/);
  });
});

describe('nestedJsonProblem', () => {
  const nest = (levels: number): object => {
    let v: object = {};
    for (let i = 1; i < levels; i++) v = { n: v };
    return v;
  };

  it('accepts 8 levels and refuses 9', () => {
    expect(nestedJsonProblem(nest(8))).toBeUndefined();
    expect(nestedJsonProblem(nest(9))).toMatch(/deeper than 8/);
    expect(nestedJsonProblem([[[[[[[[1]]]]]]]])).toBeUndefined();
    expect(nestedJsonProblem([[[[[[[[[1]]]]]]]]])).toMatch(/deeper than 8/);
  });

  it('measures the serialized size in UTF-8 bytes', () => {
    // 16,384 bytes exactly: ["xxx…"] is 4 bytes of syntax.
    expect(nestedJsonProblem(['x'.repeat(16 * 1024 - 4)])).toBeUndefined();
    expect(nestedJsonProblem(['x'.repeat(16 * 1024 - 3)])).toMatch(/larger than 16 KB/);
    // 3-byte characters: 5,460 of them are 16,380 bytes (+4) fine; 5,461 are over.
    expect(nestedJsonProblem(['€'.repeat(5460)])).toBeUndefined();
    expect(nestedJsonProblem(['€'.repeat(5461)])).toMatch(/larger than 16 KB/);
    // Escapes count as written: a control character is six bytes (\u0001).
    expect(nestedJsonProblem(['\u0001'.repeat(2730)])).toBeUndefined();
    expect(nestedJsonProblem(['\u0001'.repeat(2731)])).toMatch(/larger than 16 KB/);
  });

  it('gives up early on huge values without serializing them', () => {
    const huge = Array.from({ length: 1_000_000 }, () => 1);
    expect(nestedJsonProblem(huge)).toMatch(/larger than 16 KB/);
  });

  it('refuses what is not plain, storable JSON', () => {
    expect(nestedJsonProblem({ a: Number.NaN })).toMatch(/NaN/);
    expect(nestedJsonProblem([2 ** 60])).toMatch(/2\^53/);
    expect(nestedJsonProblem({ a: 'x\u0000' })).toMatch(/string storage cannot hold/);
    expect(nestedJsonProblem({ 'k\u0000': 1 })).toMatch(/key storage cannot hold/);
    expect(nestedJsonProblem({ a: undefined })).toMatch(/undefined/);
    expect(nestedJsonProblem(new Date())).toMatch(/not plain JSON/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(nestedJsonProblem(cyclic)).toMatch(/deeper than 8/);
  });

  it('accepts nulls, empty containers and mixed content', () => {
    expect(nestedJsonProblem({ a: null, b: [], c: {}, d: [1, 'two', true, { e: null }] })).toBeUndefined();
  });
});

describe('timestamps', () => {
  it('reads epoch ms numbers, digit strings and (when allowed) ISO 8601 with a zone', () => {
    expect(readTimestamp(1698433685000, false)).toBe(1698433685000);
    expect(readTimestamp('1698433685000', false)).toBe(1698433685000);
    expect(readTimestamp('2026-01-01T00:00:00Z', true)).toBe(Date.UTC(2026, 0, 1));
    expect(readTimestamp('2026-01-01T01:00:00+01:00', true)).toBe(Date.UTC(2026, 0, 1));
    expect(readTimestamp('2026-01-01T00:00:00.123Z', true)).toBe(Date.UTC(2026, 0, 1) + 123);
    expect(readTimestamp('2026-01-01', true)).toBe(Date.UTC(2026, 0, 1));
  });

  it('answers NaN for what it cannot read', () => {
    for (const raw of ['2026-01-01T00:00:00Z', 'yesterday', '', '12abc', '-', '1.', null, true, {}, []]) {
      expect(readTimestamp(raw, false)).toBeNaN();
    }
    // A time without a zone would be read in the server's zone: refused.
    expect(readTimestamp('2026-01-01T00:00:00', true)).toBeNaN();
    expect(readTimestamp('2026-13-01T00:00:00Z', true)).toBeNaN();
  });

  it('bounds timestamps to 2000-01-01 … now + 24 h and recognizes epoch seconds', () => {
    expect(timestampProblem(TELEMETRY_LIMITS.minTimestamp, NOW)).toBeUndefined();
    expect(timestampProblem(NOW + TELEMETRY_LIMITS.maxFutureMs, NOW)).toBeUndefined();
    expect(timestampProblem(TELEMETRY_LIMITS.minTimestamp - 1, NOW)).toMatch(/before 2000-01-01$/);
    expect(timestampProblem(1698433685, NOW)).toMatch(/looks like epoch seconds/);
    expect(timestampProblem(NOW + TELEMETRY_LIMITS.maxFutureMs + 1, NOW)).toMatch(/24 h ahead/);
    expect(timestampProblem(Number.POSITIVE_INFINITY, NOW)).toMatch(/finite/);
  });
});

describe('ReadingSink', () => {
  it('keeps scalars and nested JSON, turns -0 into 0', () => {
    const sink = new ReadingSink(NOW, 'refuse');
    sink.add(NOW, 'n', -0);
    sink.add(NOW, 'b', false);
    sink.add(NOW, 's', '');
    sink.add(NOW, 'j', { a: [1] });
    const outcome = sink.outcome();
    expect(outcome).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'n', value: 0 },
        { ts: NOW, key: 'b', value: false },
        { ts: NOW, key: 's', value: '' },
        { ts: NOW, key: 'j', value: { a: [1] } },
      ],
    });
    expect(Object.is(outcome.ok && outcome.readings[0]?.value, 0)).toBe(true);
  });

  it('refuses or skips nulls according to its policy', () => {
    const refusing = new ReadingSink(NOW, 'refuse');
    expect(refusing.add(NOW, 'temperature', null)).toBe(false);
    expect(refusing.outcome()).toEqual({
      ok: false,
      reason: 'invalid_value',
      detail: "key 'temperature': null is not a value (omit the key instead)",
    });
    const skipping = new ReadingSink(NOW, 'skip');
    expect(skipping.add(NOW, 'temperature', null)).toBe(true);
    expect(skipping.outcome()).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('refuses non-finite numbers and integers beyond 2^53, naming the key', () => {
    const cases: [unknown, RegExp][] = [
      [Number.NaN, /key 'x': NaN is not a finite number/],
      [Number.NEGATIVE_INFINITY, /-Infinity is not a finite number/],
      [2 ** 53, /beyond ±2\^53/],
      [-(2 ** 60), /beyond ±2\^53/],
      [10n, /bigint is not a telemetry value/],
      [undefined, /undefined is not a telemetry value/],
    ];
    for (const [value, detail] of cases) {
      const sink = new ReadingSink(NOW, 'refuse');
      sink.add(NOW, 'x', value);
      const outcome = sink.outcome();
      expect(outcome).toMatchObject({ ok: false, reason: 'invalid_value' });
      expect(!outcome.ok && outcome.detail).toMatch(detail);
    }
  });

  it('keeps the first refusal and stops at 10,000 points', () => {
    const sink = new ReadingSink(NOW, 'refuse');
    let accepted = 0;
    for (let i = 0; i < TELEMETRY_LIMITS.maxPointsPerMessage; i++) if (sink.add(NOW, `k${i}`, i)) accepted++;
    expect(accepted).toBe(TELEMETRY_LIMITS.maxPointsPerMessage);
    expect(sink.add(NOW, 'one-more', 1)).toBe(false);
    sink.refuse('invalid_key', 'later problem');
    expect(sink.outcome()).toMatchObject({ ok: false, reason: 'too_many_points' });
  });

  it('floors fractional milliseconds and refuses bad timestamps with the field name', () => {
    const sink = new ReadingSink(NOW, 'refuse');
    expect(sink.timestamp(NOW - 0.5, 'ts', false)).toBe(NOW - 1);
    expect(sink.timestamp('soon', '[3] ts', true)).toBe(-1);
    expect(sink.outcome()).toEqual({
      ok: false,
      reason: 'bad_timestamp',
      detail: '[3] ts: cannot read "soon" as epoch milliseconds or an ISO 8601 time',
    });
  });
});
