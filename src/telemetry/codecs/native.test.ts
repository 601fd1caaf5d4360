import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormedOutcome, NOW, stored, validTimestamp, validValues } from './codec-arbitraries.test-support.js';
import { decodeNativeDocument, decodeNativeStatus, decodeNativeTelemetry } from './native.js';
import type { Reading } from './types.js';

const T = Date.UTC(2026, 0, 15, 11, 0, 0);

describe('decodeNativeTelemetry', () => {
  it('reads a flat object at the server time, keeping types', () => {
    expect(decodeNativeTelemetry('{"temperature": 28.5, "running": true, "mode": "auto"}', NOW)).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'temperature', value: 28.5 },
        { ts: NOW, key: 'running', value: true },
        { ts: NOW, key: 'mode', value: 'auto' },
      ],
    });
  });

  it('reads {ts, values} with ts in epoch ms, and {timestamp, values} with an ISO 8601 time', () => {
    expect(decodeNativeTelemetry(`{"ts": ${T}, "values": {"temperature": 28.5}}`, NOW)).toEqual({
      ok: true,
      readings: [{ ts: T, key: 'temperature', value: 28.5 }],
    });
    expect(
      decodeNativeTelemetry('{"timestamp": "2026-01-15T11:00:00Z", "values": {"temperature": 28.5}}', NOW),
    ).toEqual({
      ok: true,
      readings: [{ ts: T, key: 'temperature', value: 28.5 }],
    });
    expect(decodeNativeTelemetry(`{"ts": "2026-01-15T12:00:00+01:00", "values": {"a": 1}}`, NOW)).toMatchObject({
      readings: [{ ts: T }],
    });
  });

  it('reads ts beside flat values as the time of the sample, not as a key', () => {
    expect(decodeNativeTelemetry(`{"ts": ${T}, "temperature": 28.5}`, NOW)).toEqual({
      ok: true,
      readings: [{ ts: T, key: 'temperature', value: 28.5 }],
    });
  });

  it('reads an array mixing every form', () => {
    const payload = JSON.stringify([
      { pressure: 1013.2 },
      { ts: T, values: { pressure: 1012.9 } },
      { timestamp: new Date(T + 1000).toISOString(), values: { pressure: 1012.5, valve: false } },
    ]);
    expect(decodeNativeTelemetry(Buffer.from(payload), NOW)).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'pressure', value: 1013.2 },
        { ts: T, key: 'pressure', value: 1012.9 },
        { ts: T + 1000, key: 'pressure', value: 1012.5 },
        { ts: T + 1000, key: 'valve', value: false },
      ],
    });
  });

  it('keeps nested JSON as JSON', () => {
    expect(decodeNativeTelemetry('{"gps": {"lat": 48.1, "lon": 11.5}, "faults": [3, 7]}', NOW)).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'gps', value: { lat: 48.1, lon: 11.5 } },
        { ts: NOW, key: 'faults', value: [3, 7] },
      ],
    });
  });

  it('accepts any byte view, a BOM and surrounding whitespace', () => {
    const bytes = new TextEncoder().encode('\ufeff \n{"a": 1}\n');
    expect(decodeNativeTelemetry(bytes, NOW)).toEqual({ ok: true, readings: [{ ts: NOW, key: 'a', value: 1 }] });
  });

  it('decodes an already parsed HTTP body the same way', () => {
    expect(decodeNativeDocument({ timestamp: T, values: { a: 1 } }, NOW)).toEqual({
      ok: true,
      readings: [{ ts: T, key: 'a', value: 1 }],
    });
  });

  describe('refuses the whole message, saying why', () => {
    it.each([
      ['', 'empty', 'empty payload'],
      ['   ', 'empty', 'empty payload'],
      ['{}', 'empty', 'the message holds no values'],
      ['[]', 'empty', 'the message holds no values'],
      [`{"ts": ${T}}`, 'empty', 'the message holds no values'],
      ['{"values": {}}', 'empty', 'the message holds no values'],
      ['{"temperature": 28.5', 'malformed_json', /JSON/],
      ["{'a': 1}", 'malformed_json', /JSON/],
      ['{"a": NaN}', 'malformed_json', /JSON/],
      ['42', 'unsupported', 'expected a JSON object of key/value pairs, got a number'],
      ['"online"', 'unsupported', 'expected a JSON object of key/value pairs, got a string'],
      ['[{"a": 1}, 7]', 'unsupported', '[1] expected a JSON object of key/value pairs, got a number'],
      ['[{"a": 1}, null]', 'unsupported', '[1] expected a JSON object of key/value pairs, got null'],
      ['{"temperature": null}', 'invalid_value', "key 'temperature': null is not a value (omit the key instead)"],
      ['{"a": 1, "b": null}', 'invalid_value', /key 'b'/],
      ['{"big": 9007199254740993}', 'invalid_value', /key 'big': .* beyond ±2\^53/],
      ['{"huge": 1e400}', 'invalid_value', /key 'huge': Infinity is not a finite number/],
      [`{"s": "${'x'.repeat(4097)}"}`, 'invalid_value', /key 's': string of 4097 characters is longer than 4096/],
      ['{"s": "a\\u0000b"}', 'invalid_value', /NUL/],
      ['{"values": 5}', 'invalid_value', '"values" must be an object of key/value pairs'],
      ['{"values": {"a": 1}, "b": 2}', 'invalid_key', `key 'b' beside "values" (put it inside "values")`],
      ['{"": 1}', 'invalid_key', 'empty key'],
      ['{"a/b": 1}', 'invalid_key', /key 'a\/b' contains '\/'/],
      ['{"a#": 1}', 'invalid_key', /contains '#'/],
      ['{"a\\nb": 1}', 'invalid_key', /control character/],
      [`{"${'k'.repeat(129)}": 1}`, 'invalid_key', /longer than 128/],
      [
        '{"ts": 1698433685, "values": {"a": 1}}',
        'bad_timestamp',
        /ts: 1698433685 is before 2000-01-01 \(looks like epoch seconds/,
      ],
      ['{"ts": "last tuesday", "values": {"a": 1}}', 'bad_timestamp', /ts: cannot read "last tuesday"/],
      ['{"ts": null, "values": {"a": 1}}', 'bad_timestamp', /cannot read null/],
      ['{"timestamp": "2026-01-15T11:00:00", "values": {"a": 1}}', 'bad_timestamp', /timestamp: cannot read/],
      [`{"ts": ${NOW + 25 * 3600_000}, "values": {"a": 1}}`, 'bad_timestamp', /24 h ahead/],
      [`{"ts": ${T}, "timestamp": ${T}, "values": {"a": 1}}`, 'bad_timestamp', 'both "ts" and "timestamp" are given'],
      [`[{"a": 1}, {"ts": 5, "values": {"b": 2}}]`, 'bad_timestamp', /^\[1\] ts: 5 is before 2000-01-01$/],
    ])('%s → %s', (payload, reason, detail) => {
      const outcome = decodeNativeTelemetry(payload, NOW);
      expect(outcome).toMatchObject({ ok: false, reason });
      if (!outcome.ok) {
        if (typeof detail === 'string') expect(outcome.detail).toBe(detail);
        else expect(outcome.detail).toMatch(detail);
      }
    });

    it('refuses invalid UTF-8', () => {
      expect(decodeNativeTelemetry(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), NOW)).toEqual({
        ok: false,
        reason: 'malformed_json',
        detail: 'payload is not valid UTF-8',
      });
    });

    it('refuses more than 10,000 points in one message', () => {
      const points = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, i]));
      expect(decodeNativeTelemetry(JSON.stringify(points), NOW)).toMatchObject({
        ok: false,
        reason: 'too_many_points',
      });
      const many = Array.from({ length: 2001 }, (_, i) => ({ a: i, b: i, c: i, d: i, e: i }));
      expect(decodeNativeTelemetry(JSON.stringify(many), NOW)).toMatchObject({ ok: false, reason: 'too_many_points' });
      const exactly = Array.from({ length: 2000 }, (_, i) => ({ a: i, b: i, c: i, d: i, e: i }));
      expect(decodeNativeTelemetry(JSON.stringify(exactly), NOW)).toMatchObject({ ok: true });
    });

    it('refuses nested JSON deeper than 8 levels or larger than 16 KB', () => {
      expect(decodeNativeTelemetry('{"deep": [[[[[[[[[1]]]]]]]]]}', NOW)).toMatchObject({
        ok: false,
        reason: 'invalid_value',
        detail: "key 'deep': nested JSON is deeper than 8 levels",
      });
      const big = JSON.stringify({ blob: { data: 'x'.repeat(16 * 1024) } });
      expect(decodeNativeTelemetry(big, NOW)).toMatchObject({
        ok: false,
        reason: 'invalid_value',
        detail: /larger than 16 KB/,
      });
    });
  });

  describe('properties', () => {
    type Entry = { form: 'flat' | 'ms' | 'iso' | 'digits'; ts: number; values: Record<string, unknown> };
    const entry: fc.Arbitrary<Entry> = fc.record({
      form: fc.constantFrom('flat', 'ms', 'iso', 'digits'),
      ts: validTimestamp,
      values: validValues,
    });
    const encodeEntry = (e: Entry): object => {
      if (e.form === 'flat') return e.values;
      const ts = e.form === 'ms' ? e.ts : e.form === 'iso' ? new Date(e.ts).toISOString() : String(e.ts);
      return e.form === 'iso' ? { timestamp: ts, values: e.values } : { ts, values: e.values };
    };
    const expected = (e: Entry): Reading[] =>
      Object.entries(e.values).map(([key, value]) => ({
        ts: e.form === 'flat' ? NOW : e.ts,
        key,
        value: stored(value as never),
      }));

    it('decodes random valid payloads to exactly the points encoded', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            entry.map((e) => [e]),
            fc.array(entry, { minLength: 1, maxLength: 5 }),
          ),
          fc.boolean(),
          (entries, asArray) => {
            const single = entries.length === 1 && !asArray;
            const document = single ? encodeEntry(entries[0] as Entry) : entries.map(encodeEntry);
            const outcome = decodeNativeTelemetry(Buffer.from(JSON.stringify(document)), NOW);
            expect(outcome).toEqual({ ok: true, readings: entries.flatMap(expected) });
          },
        ),
        { numRuns: 300 },
      );
    });

    it('never throws on garbage: random text, bytes and JSON always give readings or a refusal', () => {
      const garbage = fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.jsonValue().map((v) => JSON.stringify({ ts: v, values: v })),
        fc.anything().map((v) => {
          try {
            return JSON.stringify(v) ?? '';
          } catch {
            return '';
          }
        }),
      );
      fc.assert(
        fc.property(garbage, (payload) => {
          expect(isWellFormedOutcome(decodeNativeTelemetry(payload, NOW))).toBe(true);
        }),
        { numRuns: 1000 },
      );
      fc.assert(
        fc.property(fc.anything(), (document) => {
          expect(isWellFormedOutcome(decodeNativeDocument(document, NOW))).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('decodeNativeStatus', () => {
  it.each([
    ['{"status": "online"}', 'online'],
    ['{"status": "offline"}', 'offline'],
    ['online', 'online'],
    [' OFFLINE\n', 'offline'],
    ['"online"', 'online'],
    ['{"status": "Offline", "reason": "shutdown"}', 'offline'],
  ] as const)('%j → %s', (payload, status) => {
    expect(decodeNativeStatus(Buffer.from(payload))).toEqual({ ok: true, status });
  });

  it.each([
    ['', 'empty'],
    ['{"status": "sleeping"}', 'invalid_value'],
    ['{"status": true}', 'invalid_value'],
    ['{"online": true}', 'invalid_value'],
    ['maybe', 'malformed_json'],
    ['{"status": ', 'malformed_json'],
  ])('refuses %j with %s', (payload, reason) => {
    expect(decodeNativeStatus(payload)).toMatchObject({ ok: false, reason });
  });
});
