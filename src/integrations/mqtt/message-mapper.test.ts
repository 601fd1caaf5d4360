import { describe, expect, it } from 'vitest';
import { JsonPathError, parseJsonPath, readJsonPath } from './json-path.js';
import { IngestMapper, ReceivedMessage } from './message-mapper.js';

const NOW = Date.UTC(2026, 0, 15, 12);
const msg = (payload: unknown, values: Record<string, string> = {}, topic = 'plant/m1/data') =>
  new ReceivedMessage(
    topic,
    Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    1,
    false,
    values,
    NOW,
  );

describe('JSON paths', () => {
  it('reads dotted, bracketed and indexed paths', () => {
    const doc = { data: { temp: 21.5, 'a.b': 1, list: [{ v: 3 }] } };
    expect(readJsonPath(doc, parseJsonPath('$.data.temp'))).toBe(21.5);
    expect(readJsonPath(doc, parseJsonPath('data.temp'))).toBe(21.5);
    expect(readJsonPath(doc, parseJsonPath("$.data['a.b']"))).toBe(1);
    expect(readJsonPath(doc, parseJsonPath('$.data.list[0].v'))).toBe(3);
    expect(readJsonPath(doc, parseJsonPath('data.list.0.v'))).toBe(3);
    expect(readJsonPath(doc, parseJsonPath('$.data.nothing.deeper'))).toBeUndefined();
    expect(readJsonPath(doc, parseJsonPath('$'))).toBe(doc);
    expect(() => parseJsonPath('$.a[*]')).toThrow(JsonPathError);
    expect(() => parseJsonPath('$..a')).toThrow(JsonPathError);
  });
});

describe('ingest mapping', () => {
  it("takes the device from a placeholder and values from paths, at the payload's time", () => {
    const m = new IngestMapper({
      type: 'ingest',
      device_id: '{device_id}',
      values: { temperature: '$.d.t', running: '$.d.on', missing: '$.d.nope' },
      timestamp_path: '$.time',
    });
    const out = m.map(msg({ d: { t: 21.5, on: true }, time: '2026-01-15T11:00:00Z' }, { device_id: 'm1' }), NOW);
    expect(out).toEqual({
      ok: true,
      deviceId: 'm1',
      readings: [
        { ts: Date.UTC(2026, 0, 15, 11), key: 'temperature', value: 21.5 },
        { ts: Date.UTC(2026, 0, 15, 11), key: 'running', value: true },
      ],
    });
  });

  it('reads a whole payload as Fieldline JSON, the device from a topic level or a JSON path', () => {
    const byLevel = new IngestMapper({ type: 'ingest', device_id_topic_level: 1 });
    expect(byLevel.map(msg({ temperature: 20 }), NOW)).toMatchObject({ ok: true, deviceId: 'm1' });
    const byLast = new IngestMapper({ type: 'ingest', device_id_topic_level: -1 });
    expect(byLast.map(msg({ temperature: 20 }), NOW)).toMatchObject({ ok: true, deviceId: 'data' });
    const byPath = new IngestMapper({ type: 'ingest', device_id_path: '$.serial', values_path: '$.values' });
    expect(byPath.map(msg({ serial: 4711, values: { a: 1 } }), NOW)).toEqual({
      ok: true,
      deviceId: '4711',
      readings: [{ ts: NOW, key: 'a', value: 1 }],
    });
  });

  it("converts epoch seconds when told, and refuses what a device's own message would be refused for", () => {
    const m = new IngestMapper({ type: 'ingest', device_id: 'fixed-1', timestamp_path: '$.ts', timestamp_unit: 's' });
    expect(m.map(msg({ ts: 1768474800, v: 1 }), NOW)).toMatchObject({
      ok: true,
      readings: [{ ts: 1768474800000, key: 'v', value: 1 }],
    });
    const plain = new IngestMapper({ type: 'ingest', device_id: 'fixed-1' });
    expect(plain.map(msg('not json'), NOW)).toMatchObject({ ok: false, reason: 'malformed_json' });
    expect(plain.map(msg({ 'bad/key': 1 }), NOW)).toMatchObject({ ok: false, reason: 'invalid_key' });
    expect(plain.map(msg({ ts: 1_700_000_000, v: 1 }), NOW)).toMatchObject({ ok: false, reason: 'bad_timestamp' });
    expect(plain.map(msg({ v: Number.MAX_SAFE_INTEGER * 4 }), NOW)).toMatchObject({
      ok: false,
      reason: 'invalid_value',
    });
  });

  it('refuses device ids that are not ids, and templates the topic cannot fill', () => {
    const m = new IngestMapper({ type: 'ingest', device_id_path: '$.id' });
    expect(m.map(msg({ id: 'a b', v: 1 }), NOW)).toMatchObject({ ok: false, reason: 'no_device_id' });
    const t = new IngestMapper({ type: 'ingest', device_id: 'x-{site}' });
    expect(t.map(msg({ v: 1 }), NOW)).toMatchObject({ ok: false, reason: 'no_device_id' });
  });
});
