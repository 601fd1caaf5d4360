import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormedOutcome, NOW, stored, validTimestamp, validValues } from './codec-arbitraries.test-support.js';
import {
  decodeThingsBoardAttributes,
  decodeThingsBoardDocument,
  decodeThingsBoardRpcResponse,
  decodeThingsBoardTelemetry,
  encodeThingsBoardRpcRequest,
  parseThingsBoardRpcResponseTopic,
} from './thingsboard.js';

const T = 1768474800000; // 2026-01-15T11:00:00Z

describe('decodeThingsBoardTelemetry', () => {
  it('reads the four forms ThingsBoard documents', () => {
    expect(decodeThingsBoardTelemetry('{"temperature": 42, "active": false}', NOW)).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'temperature', value: 42 },
        { ts: NOW, key: 'active', value: false },
      ],
    });
    expect(decodeThingsBoardTelemetry('[{"temperature": 42}, {"humidity": 73}]', NOW)).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'temperature', value: 42 },
        { ts: NOW, key: 'humidity', value: 73 },
      ],
    });
    expect(decodeThingsBoardTelemetry(`{"ts": ${T}, "values": {"temperature": 42}}`, NOW)).toEqual({
      ok: true,
      readings: [{ ts: T, key: 'temperature', value: 42 }],
    });
    expect(
      decodeThingsBoardTelemetry(`[{"ts": ${T}, "values": {"t": 1}}, {"ts": ${T + 1}, "values": {"t": 2}}]`, NOW),
    ).toEqual({
      ok: true,
      readings: [
        { ts: T, key: 't', value: 1 },
        { ts: T + 1, key: 't', value: 2 },
      ],
    });
  });

  it('stores a lone "ts" as an ordinary key, as ThingsBoard does', () => {
    expect(decodeThingsBoardTelemetry(`{"ts": ${T}, "temperature": 42}`, NOW)).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'ts', value: T },
        { ts: NOW, key: 'temperature', value: 42 },
      ],
    });
  });

  it('ignores keys beside ts and values, accepts ts as a string of digits', () => {
    expect(decodeThingsBoardTelemetry(`{"ts": "${T}", "values": {"a": 1}, "deviceName": "x"}`, NOW)).toEqual({
      ok: true,
      readings: [{ ts: T, key: 'a', value: 1 }],
    });
  });

  it('drops null values and keeps the rest', () => {
    expect(decodeThingsBoardTelemetry('{"temperature": null, "humidity": 73}', NOW)).toEqual({
      ok: true,
      readings: [{ ts: NOW, key: 'humidity', value: 73 }],
    });
  });

  it('casts numeric strings to numbers (type_cast_enabled), and can be told not to', () => {
    const payload =
      '{"a": "23.5", "b": "-12", "c": ".5", "d": "12.", "e": "1e3", "f": "0x1F", "g": "9007199254740993", "h": "+1", "i": "1.2.3"}';
    expect(decodeThingsBoardTelemetry(payload, NOW)).toEqual({
      ok: true,
      readings: [
        { ts: NOW, key: 'a', value: 23.5 },
        { ts: NOW, key: 'b', value: -12 },
        { ts: NOW, key: 'c', value: 0.5 },
        { ts: NOW, key: 'd', value: '12.' },
        { ts: NOW, key: 'e', value: '1e3' },
        { ts: NOW, key: 'f', value: '0x1F' },
        { ts: NOW, key: 'g', value: '9007199254740993' },
        { ts: NOW, key: 'h', value: '+1' },
        { ts: NOW, key: 'i', value: '1.2.3' },
      ],
    });
    expect(decodeThingsBoardTelemetry('{"a": "23.5"}', NOW, { typeCast: false })).toEqual({
      ok: true,
      readings: [{ ts: NOW, key: 'a', value: '23.5' }],
    });
  });

  it('keeps objects and arrays as JSON', () => {
    expect(decodeThingsBoardTelemetry('{"someNested": {"key": "value", "arr": [1, 2, 3]}}', NOW)).toEqual({
      ok: true,
      readings: [{ ts: NOW, key: 'someNested', value: { key: 'value', arr: [1, 2, 3] } }],
    });
  });

  it('decodes an already parsed HTTP body (POST /api/v1/{token}/telemetry)', () => {
    expect(decodeThingsBoardDocument({ ts: T, values: { a: 1 } }, NOW)).toEqual({
      ok: true,
      readings: [{ ts: T, key: 'a', value: 1 }],
    });
  });

  it.each([
    ['', 'empty'],
    ['{}', 'empty'],
    ['[]', 'empty'],
    ['{"a": null}', 'empty'],
    ['{"a": 1', 'malformed_json'],
    ['42', 'unsupported'],
    ['[1, 2]', 'unsupported'],
    ['[{"a": 1}, "b"]', 'unsupported'],
    [`{"ts": ${T}, "values": 5}`, 'invalid_value'],
    ['{"ts": "2026-01-15T11:00:00Z", "values": {"a": 1}}', 'bad_timestamp'],
    ['{"ts": 1698433685, "values": {"a": 1}}', 'bad_timestamp'],
    ['{"ts": null, "values": {"a": 1}}', 'bad_timestamp'],
    ['{"a/b": 1}', 'invalid_key'],
    ['{"big": 18446744073709551615}', 'invalid_value'],
  ])('refuses %s with %s', (payload, reason) => {
    expect(decodeThingsBoardTelemetry(payload, NOW)).toMatchObject({ ok: false, reason });
  });

  it('decodes random valid payloads to exactly the points encoded (strings cast aside)', () => {
    const noNumericStrings = validValues.map((values) =>
      Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v !== 'string' || !/^-?[\d.]+$/.test(v))),
    );
    const entry = fc.record({ ts: fc.option(validTimestamp, { nil: undefined }), values: noNumericStrings });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (entries) => {
        const document = entries.map((e) => (e.ts === undefined ? e.values : { ts: e.ts, values: e.values }));
        const expected = entries.flatMap((e) =>
          Object.entries(e.values).map(([key, value]) => ({ ts: e.ts ?? NOW, key, value: stored(value) })),
        );
        const outcome = decodeThingsBoardTelemetry(JSON.stringify(document), NOW);
        if (expected.length === 0) expect(outcome).toMatchObject({ ok: false, reason: 'empty' });
        else expect(outcome).toEqual({ ok: true, readings: expected });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage', () => {
    const garbage = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.uint8Array({ maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify([{ ts: v, values: v }])),
    );
    fc.assert(
      fc.property(garbage, (payload) => {
        expect(isWellFormedOutcome(decodeThingsBoardTelemetry(payload, NOW))).toBe(true);
        const attributes = decodeThingsBoardAttributes(payload);
        expect(attributes.ok || attributes.detail.length > 0).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decodeThingsBoardAttributes', () => {
  it('reads one object into an attribute map, dropping nulls and casting numeric strings', () => {
    const outcome = decodeThingsBoardAttributes('{"firmware": "1.2.3", "serial": "0042", "enabled": true, "x": null}');
    expect(outcome.ok && { ...outcome.attributes }).toEqual({ firmware: '1.2.3', serial: 42, enabled: true });
  });

  it('treats "__proto__" as an ordinary attribute', () => {
    const outcome = decodeThingsBoardAttributes('{"__proto__": {"polluted": true}}');
    expect(outcome.ok).toBe(true);
    if (outcome.ok) {
      expect(Object.getPrototypeOf(outcome.attributes)).toBeNull();
      expect(Object.entries(outcome.attributes)).toEqual([['__proto__', { polluted: true }]]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['[{"a": 1}]', 'unsupported'],
    ['{}', 'empty'],
    ['{"a": "x\\u0000"}', 'invalid_value'],
    ['nope', 'malformed_json'],
  ])('refuses %s with %s', (payload, reason) => {
    expect(decodeThingsBoardAttributes(payload)).toMatchObject({ ok: false, reason });
  });
});

describe('ThingsBoard RPC', () => {
  it('builds server-side RPC requests as ThingsBoard firmware expects them', () => {
    const request = encodeThingsBoardRpcRequest(17, 'setGpio', { pin: 23, value: 1 });
    expect(request.topic).toBe('v1/devices/me/rpc/request/17');
    expect(JSON.parse(request.payload.toString())).toEqual({ method: 'setGpio', params: { pin: 23, value: 1 } });
    expect(JSON.parse(encodeThingsBoardRpcRequest(18, 'reboot').payload.toString())).toEqual({
      method: 'reboot',
      params: {},
    });
  });

  it('parses responses: JSON, plain text, or nothing', () => {
    expect(decodeThingsBoardRpcResponse('v1/devices/me/rpc/response/17', '{"result": "ok"}')).toEqual({
      ok: true,
      requestId: 17,
      response: { result: 'ok' },
    });
    expect(decodeThingsBoardRpcResponse('v1/devices/me/rpc/response/18', Buffer.from('done'))).toEqual({
      ok: true,
      requestId: 18,
      response: 'done',
    });
    expect(decodeThingsBoardRpcResponse('v1/devices/me/rpc/response/19', '')).toEqual({
      ok: true,
      requestId: 19,
      response: null,
    });
  });

  it('recognizes only response topics with a numeric id', () => {
    expect(parseThingsBoardRpcResponseTopic('v1/devices/me/rpc/response/0')).toBe(0);
    for (const topic of [
      'v1/devices/me/rpc/response/',
      'v1/devices/me/rpc/response/abc',
      'v1/devices/me/rpc/response/1/2',
      'v1/devices/me/rpc/request/1',
    ]) {
      expect(parseThingsBoardRpcResponseTopic(topic)).toBeNull();
    }
    expect(decodeThingsBoardRpcResponse('v1/devices/me/rpc/response/x', '{}')).toMatchObject({
      ok: false,
      reason: 'unsupported',
    });
  });
});
