import fc from 'fast-check';
import spb from 'sparkplug-payload';
import sparkplugProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { describe, expect, it } from 'vitest';
import type { RawMetric } from './sparkplug.js';
import { decodeSparkplugPayload, encodeRebirthRequest, encodeSparkplugCommand } from './sparkplug.js';
import {
  parseSparkplugDeviceId,
  parseSparkplugTopic,
  sparkplugDeviceId,
  sparkplugMetricKey,
  sparkplugTopic,
} from './sparkplug-topic.js';
import { float32ToNumber, MetricValueIssue, SparkplugDataType, sparkplugValue } from './sparkplug-values.js';

const tahu = spb.get('spBv1.0')!;
const Payload = sparkplugProto.org.eclipse.tahu.protobuf.Payload;

/** Encodes with Eclipse Tahu's encoder, decodes with ours, answers the first metric's value. */
function roundTrip(type: string, value: unknown): unknown {
  const bytes = tahu.encodePayload({ timestamp: 1, metrics: [{ name: 'm', type, value } as never] });
  const decoded = decodeSparkplugPayload(Buffer.from(bytes));
  if (!decoded.ok) throw new Error(decoded.detail);
  const metric = decoded.payload.metrics[0] as RawMetric;
  return sparkplugValue(metric, metric.datatype ?? 0);
}

/** A metric as raw protobuf fields, for encodings Tahu's encoder does not produce. */
function rawValue(fields: Record<string, unknown>, datatype: number): unknown {
  const bytes = Payload.encode(Payload.create({ metrics: [Payload.Metric.create({ name: 'm', ...fields })] })).finish();
  const decoded = decodeSparkplugPayload(bytes);
  if (!decoded.ok) throw new Error(decoded.detail);
  return sparkplugValue(decoded.payload.metrics[0] as RawMetric, datatype);
}

describe('parseSparkplugTopic', () => {
  it('parses node, device and STATE topics', () => {
    expect(parseSparkplugTopic('spBv1.0/Plant1/NBIRTH/Line4')).toEqual({
      namespace: 'spBv1.0',
      type: 'NBIRTH',
      group: 'Plant1',
      edgeNode: 'Line4',
    });
    expect(parseSparkplugTopic('spBv1.0/Plant1/DDATA/Line4/Press 7')).toEqual({
      namespace: 'spBv1.0',
      type: 'DDATA',
      group: 'Plant1',
      edgeNode: 'Line4',
      device: 'Press 7',
    });
    expect(parseSparkplugTopic('spBv1.0/STATE/scada-1')).toEqual({
      namespace: 'spBv1.0',
      type: 'STATE',
      hostId: 'scada-1',
    });
    for (const type of ['NBIRTH', 'NDATA', 'NDEATH', 'NCMD'] as const) {
      expect(parseSparkplugTopic(`spBv1.0/G/${type}/E`)).toMatchObject({ type });
    }
    for (const type of ['DBIRTH', 'DDATA', 'DDEATH', 'DCMD'] as const) {
      expect(parseSparkplugTopic(`spBv1.0/G/${type}/E/D`)).toMatchObject({ type, device: 'D' });
    }
  });

  it.each([
    'spBv1.0/G/NDATA/E/D', // device level on a node message
    'spBv1.0/G/DDATA/E', // no device on a device message
    'spBv1.0/G/NDATA',
    'spBv1.0/G/NDATA/E/D/x',
    'spBv1.0/G/XDATA/E',
    'spBv1.0//NDATA/E',
    'spBv1.0/G/NDATA/',
    'spBv1.0/G+/NDATA/E',
    'spBv1.0/G/NDATA/#',
    'spAv1.0/G/NDATA/E',
    'STATE/scada-1',
    'fieldline/devices/d1/telemetry',
    '',
  ])('refuses %j', (topic) => {
    expect(parseSparkplugTopic(topic)).toBeNull();
  });

  it('builds topics', () => {
    expect(sparkplugTopic('G', 'NCMD', 'E')).toBe('spBv1.0/G/NCMD/E');
    expect(sparkplugTopic('G', 'DCMD', 'E', 'D')).toBe('spBv1.0/G/DCMD/E/D');
  });
});

describe('Fieldline identity of Sparkplug nodes and devices', () => {
  it('is {group}:{edge} and {group}:{edge}:{device}', () => {
    expect(sparkplugDeviceId({ group: 'Plant1', edgeNode: 'Line4' })).toBe('Plant1:Line4');
    expect(sparkplugDeviceId({ group: 'Plant1', edgeNode: 'Line4', device: 'Press7' })).toBe('Plant1:Line4:Press7');
    expect(sparkplugDeviceId({ group: 'a:b', edgeNode: '50%', device: 'c' })).toBe('a%3Ab:50%25:c');
  });

  it('is reversible for any Sparkplug ids, and refuses ids that are not one', () => {
    const id = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[/+#]/.test(s));
    fc.assert(
      fc.property(id, id, fc.option(id, { nil: undefined }), (group, edgeNode, device) => {
        const identity = device === undefined ? { group, edgeNode } : { group, edgeNode, device };
        expect(parseSparkplugDeviceId(sparkplugDeviceId(identity))).toEqual(identity);
      }),
    );
    for (const deviceId of ['device-001', 'a:b:c:d', 'a::b', 'a:%zz', 'a:b/c', ':b']) {
      expect(parseSparkplugDeviceId(deviceId)).toBeNull();
    }
  });

  it('maps metric names to keys: folders become dots, reserved characters underscores', () => {
    expect(sparkplugMetricKey('Temperature')).toBe('Temperature');
    expect(sparkplugMetricKey('Inputs/Line 1/Temperature')).toBe('Inputs.Line 1.Temperature');
    expect(sparkplugMetricKey('Pump #1+2\n')).toBe('Pump _1_2_');
  });
});

describe('Sparkplug values', () => {
  it('maps integer types, sign-extending Int8/Int16 whichever way they were encoded', () => {
    expect(roundTrip('Int8', -1)).toBe(-1);
    expect(roundTrip('Int8', 127)).toBe(127);
    expect(rawValue({ datatype: 1, intValue: 255 }, SparkplugDataType.Int8)).toBe(-1); // 8-bit two's complement
    expect(roundTrip('Int16', -32768)).toBe(-32768);
    expect(roundTrip('Int32', -2147483648)).toBe(-2147483648);
    expect(roundTrip('UInt8', 255)).toBe(255);
    expect(roundTrip('UInt16', 65535)).toBe(65535);
    expect(roundTrip('UInt32', 4_000_000_000)).toBe(4_000_000_000);
    expect(rawValue({ datatype: 7, intValue: 4_000_000_000 }, SparkplugDataType.UInt32)).toBe(4_000_000_000);
    expect(roundTrip('Int64', -5)).toBe(-5);
    expect(roundTrip('Int64', Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(roundTrip('UInt64', 2 ** 40)).toBe(2 ** 40);
    expect(roundTrip('DateTime', 1768474800000)).toBe(1768474800000);
  });

  it('refuses 64-bit integers a double cannot hold', () => {
    const tooBig = rawValue(
      { datatype: 8, longValue: { low: 0, high: 0x00300000, unsigned: true } },
      SparkplugDataType.UInt64,
    );
    expect(tooBig).toBeInstanceOf(MetricValueIssue);
    expect((tooBig as MetricValueIssue).kind).toBe('invalid');
  });

  it('gives floats their shortest decimal, doubles as they are', () => {
    expect(roundTrip('Float', 23.4)).toBe(23.4);
    expect(roundTrip('Float', 0.1)).toBe(0.1);
    expect(roundTrip('Float', 16777216)).toBe(16777216);
    expect(roundTrip('Double', 0.1 + 0.2)).toBe(0.1 + 0.2);
    expect(roundTrip('Float', Number.NaN)).toBeNaN(); // refused later by the shared validation
  });

  it('float32ToNumber always reads back as the same float, in the fewest digits', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (f) => {
        const n = float32ToNumber(f);
        expect(Math.fround(n)).toBe(f);
        if (f !== 0) {
          let shortest = 9;
          for (let d = 1; d <= 9; d++) {
            if (Math.fround(Number(f.toPrecision(d))) === f) {
              shortest = d;
              break;
            }
          }
          expect(Number(n.toPrecision(shortest))).toBe(n);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('maps Boolean, String, Text, UUID', () => {
    expect(roundTrip('Boolean', false)).toBe(false);
    expect(roundTrip('String', 'auto')).toBe('auto');
    expect(roundTrip('Text', 'long text')).toBe('long text');
    expect(roundTrip('UUID', '6f1c…')).toBe('6f1c…');
  });

  it('stores a DataSet as JSON {columns, types, rows}', () => {
    const dataset = {
      numOfColumns: 2,
      columns: ['step', 'temp'],
      types: ['Int32', 'Double'],
      rows: [
        [1, 180.5],
        [2, 210],
      ],
    };
    expect(roundTrip('DataSet', dataset)).toEqual({
      columns: ['step', 'temp'],
      types: ['Int32', 'Double'],
      rows: [
        [1, 180.5],
        [2, 210],
      ],
    });
  });

  it('skips Bytes, File, PropertySet and Template values rather than refusing', () => {
    for (const [type, value] of [
      ['Bytes', new Uint8Array([1, 2])],
      ['File', new Uint8Array([1])],
      ['PropertySet', {}],
      ['Template', { isDefinition: false, templateRef: 'T', metrics: [] }],
    ] as const) {
      const v = roundTrip(type, value);
      expect(v).toBeInstanceOf(MetricValueIssue);
      expect((v as MetricValueIssue).kind).toBe('skip');
    }
  });

  it('decodes Sparkplug 3.0 array types from their packed bytes', () => {
    const bytes = (...b: number[]) => new Uint8Array(b);
    expect(rawValue({ bytesValue: bytes(0xff, 0x7f) }, SparkplugDataType.Int8Array)).toEqual([-1, 127]);
    expect(rawValue({ bytesValue: bytes(0xff, 0xff, 0x01, 0x00) }, SparkplugDataType.Int16Array)).toEqual([-1, 1]);
    expect(rawValue({ bytesValue: bytes(0xff, 0xff) }, SparkplugDataType.UInt16Array)).toEqual([65535]);
    expect(rawValue({ bytesValue: bytes(0xfe, 0xff, 0xff, 0xff) }, SparkplugDataType.Int32Array)).toEqual([-2]);
    const f = Buffer.alloc(8);
    f.writeFloatLE(23.4, 0);
    f.writeFloatLE(-1.5, 4);
    expect(rawValue({ bytesValue: f }, SparkplugDataType.FloatArray)).toEqual([23.4, -1.5]);
    const d = Buffer.alloc(16);
    d.writeDoubleLE(0.1, 0);
    d.writeBigInt64LE(-3n, 8);
    expect(rawValue({ bytesValue: d.subarray(0, 8) }, SparkplugDataType.DoubleArray)).toEqual([0.1]);
    expect(rawValue({ bytesValue: d.subarray(8) }, SparkplugDataType.Int64Array)).toEqual([-3]);
    // The specification's own example: 12 booleans, count first, then bits MSB first.
    expect(rawValue({ bytesValue: bytes(0x0c, 0, 0, 0, 0x34, 0xd0) }, SparkplugDataType.BooleanArray)).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
      false,
      false,
      true,
      true,
      false,
      true,
    ]);
    expect(rawValue({ bytesValue: Buffer.from('ABC\0hello\0') }, SparkplugDataType.StringArray)).toEqual([
      'ABC',
      'hello',
    ]);
    for (const [b, type] of [
      [bytes(1, 2, 3), SparkplugDataType.Int16Array],
      [bytes(12, 0, 0, 0, 1), SparkplugDataType.BooleanArray],
      [Buffer.from('no terminator'), SparkplugDataType.StringArray],
    ] as const) {
      expect((rawValue({ bytesValue: b }, type) as MetricValueIssue).kind).toBe('invalid');
    }
  });

  it('answers "no value" when the value field is absent', () => {
    expect((rawValue({ datatype: 3 }, SparkplugDataType.Int32) as MetricValueIssue).kind).toBe('null');
  });
});

describe('decodeSparkplugPayload', () => {
  it('keeps presence: timestamp and seq are undefined when absent, NaN when out of range', () => {
    const bare = decodeSparkplugPayload(
      Buffer.from(tahu.encodePayload({ metrics: [{ name: 'a', type: 'Int32', value: 1 }] } as never)),
    );
    expect(bare).toMatchObject({
      ok: true,
      payload: { timestamp: undefined, seq: undefined, metrics: [{ name: 'a' }] },
    });
    const full = decodeSparkplugPayload(
      Buffer.from(tahu.encodePayload({ timestamp: 1768474800000, seq: 255, metrics: [] })),
    );
    expect(full).toMatchObject({ ok: true, payload: { timestamp: 1768474800000, seq: 255 } });
    const outOfRange = decodeSparkplugPayload(Buffer.from(tahu.encodePayload({ timestamp: 1, seq: 256, metrics: [] })));
    expect(outOfRange.ok && outOfRange.payload.seq).toBeNaN();
  });

  it('refuses empty and malformed protobuf, and never throws on random bytes', () => {
    expect(decodeSparkplugPayload(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'empty' });
    expect(decodeSparkplugPayload(Buffer.from([0x12, 0x10, 0x01]))).toMatchObject({
      ok: false,
      reason: 'malformed_protobuf',
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const outcome = decodeSparkplugPayload(bytes);
        expect(outcome.ok || outcome.reason === 'malformed_protobuf' || outcome.reason === 'empty').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('commands to Sparkplug nodes and devices', () => {
  const NOW = 1768474800000;

  it('builds a DCMD with a timestamp, no seq, and typed metrics', () => {
    const command = encodeSparkplugCommand(
      'Plant1',
      'Line4',
      'Press7',
      [
        { name: 'Outputs/Setpoint', value: 42, type: 'Int16' },
        { name: 'Outputs/Enable', value: true },
        { name: 'Mode', value: 'auto' },
        { name: 'Gain', value: 0.5 },
      ],
      NOW,
    );
    expect(command.ok).toBe(true);
    if (!command.ok) return;
    expect(command.topic).toBe('spBv1.0/Plant1/DCMD/Line4/Press7');
    const decoded = tahu.decodePayload(command.payload);
    expect(decoded.seq).toBeUndefined();
    expect(Number(decoded.timestamp)).toBe(NOW);
    expect(
      decoded.metrics?.map((m) => [m.name, m.type, typeof m.value === 'object' ? Number(m.value) : m.value]),
    ).toEqual([
      ['Outputs/Setpoint', 'Int16', 42],
      ['Outputs/Enable', 'Boolean', true],
      ['Mode', 'String', 'auto'],
      ['Gain', 'Double', 0.5],
    ]);
  });

  it('builds an NCMD for the edge node itself', () => {
    const command = encodeSparkplugCommand('G', 'E', undefined, [{ name: 'Node Control/Reboot', value: true }], NOW);
    expect(command).toMatchObject({ ok: true, topic: 'spBv1.0/G/NCMD/E' });
  });

  it('refuses values that do not fit the metric datatype', () => {
    const cases = [
      { name: 'a', value: 300, type: 'Int8' },
      { name: 'a', value: -1, type: 'UInt32' },
      { name: 'a', value: 1.5, type: 'Int32' },
      { name: 'a', value: 'on', type: 'Boolean' },
      { name: 'a', value: 1, type: 'String' },
      { name: 'a', value: Number.NaN, type: 'Float' },
      { name: 'a', value: 2 ** 60 },
    ] as const;
    for (const metric of cases) {
      expect(encodeSparkplugCommand('G', 'E', 'D', [metric], NOW)).toMatchObject({
        ok: false,
        reason: 'invalid_value',
      });
    }
    expect(encodeSparkplugCommand('G', 'E', 'D', [], NOW)).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('builds the Rebirth Request: NCMD with Node Control/Rebirth = true', () => {
    const rebirth = encodeRebirthRequest('G', 'E', NOW);
    expect(rebirth.topic).toBe('spBv1.0/G/NCMD/E');
    const decoded = tahu.decodePayload(rebirth.payload);
    expect(decoded.metrics).toEqual([
      expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true }),
    ]);
    expect(decoded.seq).toBeUndefined();
  });
});
