import fc from 'fast-check';
import spb from 'sparkplug-payload';
import sparkplugProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { stored, validKey } from './codec-arbitraries.test-support.js';
import type { SparkplugResult } from './sparkplug-result.js';
import { SparkplugSessions } from './sparkplug-session.js';
import type { Reading } from './types.js';

const tahu = spb.get('spBv1.0')!;
const Payload = sparkplugProto.org.eclipse.tahu.protobuf.Payload;

const NOW = 1768474800000; // 2026-01-15T11:00:00Z
const G = 'Plant1';
const E = 'Line4';
const NODE = 'Plant1:Line4';
const PRESS = 'Plant1:Line4:Press7';

type TahuMetric = {
  name?: string;
  alias?: number;
  type: string;
  value: unknown;
  timestamp?: number;
  isNull?: boolean;
  isTransient?: boolean;
};

/** Births and anything with names and datatypes: Eclipse Tahu's own encoder. */
function tahuPayload(seq: number | undefined, metrics: TahuMetric[], timestamp: number | null = NOW - 1000): Buffer {
  const payload: Record<string, unknown> = { metrics };
  if (seq !== undefined) payload.seq = seq;
  if (timestamp !== null) payload.timestamp = timestamp;
  return Buffer.from(tahu.encodePayload(payload as never));
}

/**
 * A Sparkplug 3.0 DATA message as the specification wants it: aliases only, no names, no datatypes
 * [tck-id-payloads-alias-data-cmd-requirement] [tck-id-payloads-metric-datatype-not-req]. Tahu's encoder cannot
 * write that (it always sets a datatype), so the generated protobuf classes are used directly.
 */
function aliasData(seq: number, metrics: Record<string, unknown>[], timestamp = NOW - 500): Buffer {
  return Buffer.from(
    Payload.encode(Payload.create({ timestamp, seq, metrics: metrics.map((m) => Payload.Metric.create(m)) })).finish(),
  );
}

/** `seq` null: none at all. */
const nbirth = (seq: number | null = 0, bdSeq = 7, extra: TahuMetric[] = []) =>
  tahuPayload(seq ?? undefined, [
    { name: 'bdSeq', type: 'Int64', value: bdSeq },
    { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
    { name: 'Properties/OS', alias: 1, type: 'String', value: 'Linux' },
    { name: 'Inputs/Supply Voltage', alias: 2, type: 'Float', value: 24.1 },
    ...extra,
  ]);

const dbirth = (seq: number | undefined) =>
  tahuPayload(seq, [
    { name: 'Inputs/Temperature', alias: 10, type: 'Double', value: 180.5 },
    { name: 'Inputs/Running', alias: 11, type: 'Boolean', value: true },
    { name: 'Outputs/Setpoint', alias: 12, type: 'Int16', value: 200 },
    { name: 'Counter', alias: 13, type: 'UInt32', value: 4_000_000_000 },
  ]);

const ndeath = (bdSeq: number) => tahuPayload(undefined, [{ name: 'bdSeq', type: 'Int64', value: bdSeq }], null);

/** The protobuf value field §6.4.17 assigns to each datatype. */
function valueField(type: string, value: unknown): Record<string, unknown> {
  switch (type) {
    case 'Int8':
    case 'Int16':
    case 'Int32':
    case 'UInt8':
    case 'UInt16':
      return { intValue: (value as number) >>> 0 };
    case 'UInt32':
    case 'Int64':
      return { longValue: value };
    case 'Float':
      return { floatValue: value };
    case 'Double':
      return { doubleValue: value };
    case 'Boolean':
      return { booleanValue: value };
    default:
      return { stringValue: value };
  }
}

const topic = (type: string, device?: string) => `spBv1.0/${G}/${type}/${E}${device === undefined ? '' : `/${device}`}`;

function decodedRebirth(result: SparkplugResult): unknown {
  return result.rebirth === undefined
    ? undefined
    : { topic: result.rebirth.topic, metrics: tahu.decodePayload(result.rebirth.payload).metrics };
}

const REBIRTH = {
  topic: 'spBv1.0/Plant1/NCMD/Line4',
  metrics: [expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true })],
};

describe('SparkplugSessions', () => {
  let sessions: SparkplugSessions;
  beforeEach(() => {
    sessions = new SparkplugSessions();
  });

  /** NBIRTH (seq 0) + DBIRTH of Press7 (seq 1). */
  function born(): void {
    sessions.handle(topic('NBIRTH'), nbirth(), NOW);
    sessions.handle(topic('DBIRTH', 'Press7'), dbirth(1), NOW);
  }

  describe('births', () => {
    it('NBIRTH brings the edge node online with its metrics as readings (protocol metrics left out)', () => {
      const result = sessions.handle(topic('NBIRTH'), nbirth(), NOW);
      expect(result).toMatchObject({
        kind: 'birth',
        group: G,
        edgeNode: E,
        deviceId: NODE,
        onlineDevices: [NODE],
        ts: NOW - 1000,
      });
      expect(result.readings).toEqual([
        { ts: NOW - 1000, key: 'Properties.OS', value: 'Linux' },
        { ts: NOW - 1000, key: 'Inputs.Supply Voltage', value: 24.1 },
      ]);
      expect(result.metrics).toEqual([
        { name: 'Properties/OS', key: 'Properties.OS', datatype: 'String', alias: 1 },
        { name: 'Inputs/Supply Voltage', key: 'Inputs.Supply Voltage', datatype: 'Float', alias: 2 },
      ]);
      expect(result.rebirth).toBeUndefined();
      expect(sessions.nodeCount).toBe(1);
    });

    it('DBIRTH brings a device online under {group}:{edge}:{device}', () => {
      sessions.handle(topic('NBIRTH'), nbirth(), NOW);
      const result = sessions.handle(topic('DBIRTH', 'Press7'), dbirth(1), NOW);
      expect(result).toMatchObject({ kind: 'birth', device: 'Press7', deviceId: PRESS, onlineDevices: [PRESS] });
      expect(result.readings.map((r) => [r.key, r.value])).toEqual([
        ['Inputs.Temperature', 180.5],
        ['Inputs.Running', true],
        ['Outputs.Setpoint', 200],
        ['Counter', 4_000_000_000],
      ]);
    });

    it('uses metric timestamps when present, else the payload timestamp, else the server clock', () => {
      const result = sessions.handle(
        topic('NBIRTH'),
        tahuPayload(
          0,
          [
            { name: 'a', type: 'Int32', value: 1, timestamp: NOW - 5000 },
            { name: 'b', type: 'Int32', value: 2 },
          ],
          null,
        ),
        NOW,
      );
      expect(result.readings).toEqual([
        { ts: NOW - 5000, key: 'a', value: 1 },
        { ts: NOW, key: 'b', value: 2 },
      ]);
    });

    it('skips null and transient metrics and blobs, and says so', () => {
      const result = sessions.handle(
        topic('NBIRTH'),
        tahuPayload(0, [
          { name: 'unknown yet', type: 'Double', value: null },
          { name: 'scratch', type: 'Int32', value: 5, isTransient: true },
          { name: 'image', type: 'Bytes', value: new Uint8Array([1, 2, 3]) },
          { name: 'kept', type: 'Int32', value: 1 },
        ]),
        NOW,
      );
      expect(result.readings.map((r) => r.key)).toEqual(['kept']);
      expect(result.skipped).toEqual(['scratch: transient', 'image: Bytes is not stored as telemetry']);
    });

    it('keeps large Float and Double values (no exactness to lose), refuses keys that cannot be stored', () => {
      const big = sessions.handle(
        topic('NBIRTH'),
        tahuPayload(0, [{ name: 'Energy', type: 'Double', value: 1e20 }]),
        NOW,
      );
      expect(big.readings).toEqual([{ ts: NOW - 1000, key: 'Energy', value: 1e20 }]);
      const long = sessions.handle(
        topic('NBIRTH'),
        tahuPayload(0, [{ name: 'x'.repeat(129), alias: 1, type: 'Int32', value: 1 }]),
        NOW,
      );
      expect(long.refusal).toMatchObject({ reason: 'invalid_key' });
      const unnamed = sessions.handle(
        topic('NBIRTH'),
        tahuPayload(0, [
          { alias: 4, type: 'Int32', value: 1 },
          { name: 'ok', type: 'Int32', value: 2 },
        ]),
        NOW,
      );
      expect(unnamed.skipped).toEqual(['metric without a name (alias 4)']);
      expect(unnamed.readings.map((r) => r.key)).toEqual(['ok']);
    });

    it('stores a DataSet as JSON', () => {
      const result = sessions.handle(
        topic('NBIRTH'),
        tahuPayload(0, [
          {
            name: 'Recipe',
            type: 'DataSet',
            value: { numOfColumns: 2, columns: ['step', 'temp'], types: ['Int32', 'Float'], rows: [[1, 180.5]] },
          },
        ]),
        NOW,
      );
      expect(result.readings).toEqual([
        {
          ts: NOW - 1000,
          key: 'Recipe',
          value: { columns: ['step', 'temp'], types: ['Int32', 'Float'], rows: [[1, 180.5]] },
        },
      ]);
    });

    it('refuses the readings of a birth with a NaN but still records it, so its DATA resolves', () => {
      // The bad metric comes first: the ones after it must still be recorded.
      const broken = tahuPayload(0, [
        { name: 'bdSeq', type: 'Int64', value: 7 },
        { name: 'Broken', alias: 3, type: 'Float', value: Number.NaN },
        { name: 'Inputs/Supply Voltage', alias: 2, type: 'Float', value: 24.1 },
      ]);
      const birth = sessions.handle(topic('NBIRTH'), broken, NOW);
      expect(birth).toMatchObject({ kind: 'birth', readings: [], refusal: { reason: 'invalid_value' } });
      expect(birth.refusal?.detail).toMatch(/Broken/);
      const data = sessions.handle(topic('NDATA'), aliasData(1, [{ alias: 2, floatValue: 23.5 }]), NOW);
      expect(data).toMatchObject({ kind: 'data', readings: [{ key: 'Inputs.Supply Voltage', value: 23.5 }] });
      expect(data.rebirth).toBeUndefined();
    });
  });

  describe('data', () => {
    it('resolves aliases to names and takes datatypes from the birth certificate', () => {
      born();
      const node = sessions.handle(topic('NDATA'), aliasData(2, [{ alias: 2, floatValue: 23.4 }]), NOW);
      expect(node).toMatchObject({
        kind: 'data',
        deviceId: NODE,
        readings: [{ ts: NOW - 500, key: 'Inputs.Supply Voltage', value: 23.4 }],
      });
      const device = sessions.handle(
        topic('DDATA', 'Press7'),
        aliasData(3, [
          { alias: 10, doubleValue: 181.25, timestamp: NOW - 700 },
          { alias: 11, booleanValue: false },
          { alias: 12, intValue: 0xffff_ff9c }, // Int16 -100, encoded 32-bit two's complement
        ]),
        NOW,
      );
      expect(device.kind).toBe('data');
      expect(device.deviceId).toBe(PRESS);
      expect(device.readings).toEqual([
        { ts: NOW - 700, key: 'Inputs.Temperature', value: 181.25 },
        { ts: NOW - 500, key: 'Inputs.Running', value: false },
        { ts: NOW - 500, key: 'Outputs.Setpoint', value: -100 },
      ]);
      expect(device.rebirth).toBeUndefined();
    });

    it('also resolves metrics sent by name (Sparkplug 2.2 style)', () => {
      born();
      const result = sessions.handle(
        topic('DDATA', 'Press7'),
        tahuPayload(2, [{ name: 'Inputs/Temperature', type: 'Double', value: 175 }]),
        NOW,
      );
      expect(result.readings).toEqual([{ ts: NOW - 1000, key: 'Inputs.Temperature', value: 175 }]);
    });

    it('refuses a DATA message whose metric timestamp is implausible', () => {
      born();
      const result = sessions.handle(
        topic('NDATA'),
        aliasData(2, [{ alias: 2, floatValue: 1, timestamp: 1_000 }]),
        NOW,
      );
      expect(result).toMatchObject({ kind: 'data', readings: [], refusal: { reason: 'bad_timestamp' } });
    });

    it('keeps seq across the 255 → 0 wrap without asking for a rebirth', () => {
      sessions.handle(topic('NBIRTH'), nbirth(250), NOW);
      for (const seq of [251, 252, 253, 254, 255, 0, 1]) {
        const result = sessions.handle(topic('NDATA'), aliasData(seq, [{ alias: 2, floatValue: seq }]), NOW);
        expect(result.rebirth, `seq ${seq}`).toBeUndefined();
        expect(result.readings).toHaveLength(1);
      }
    });

    it('asks for a rebirth on a seq gap, keeping the data that did arrive', () => {
      born();
      const result = sessions.handle(topic('NDATA'), aliasData(4, [{ alias: 2, floatValue: 24 }]), NOW);
      expect(result.readings).toEqual([{ ts: NOW - 500, key: 'Inputs.Supply Voltage', value: 24 }]);
      expect(result.note).toBe('seq 4 where 2 was expected');
      expect(decodedRebirth(result)).toEqual(REBIRTH);
    });

    it('refuses NDATA and DDATA without seq as invalid_seq and asks for a rebirth (§6.4.21, §6.4.22)', () => {
      born();
      const node = sessions.handle(
        topic('NDATA'),
        tahuPayload(undefined, [{ name: 'Inputs/Supply Voltage', type: 'Float', value: 24 }]),
        NOW,
      );
      expect(node).toMatchObject({
        kind: 'data',
        deviceId: NODE,
        readings: [],
        refusal: { reason: 'invalid_seq', detail: 'NDATA with no seq' },
        note: 'no seq',
      });
      expect(decodedRebirth(node)).toEqual(REBIRTH);
      const device = sessions.handle(
        topic('DDATA', 'Press7'),
        tahuPayload(undefined, [{ name: 'Inputs/Temperature', type: 'Double', value: 1 }]),
        NOW + 5000,
      );
      expect(device).toMatchObject({ kind: 'data', readings: [], refusal: { reason: 'invalid_seq' } });
      expect(device.rebirth).toBeDefined();
      // The sequence stays where it was: the next message in step is accepted as usual.
      const next = sessions.handle(topic('NDATA'), aliasData(2, [{ alias: 2, floatValue: 25 }]), NOW + 5100);
      expect(next.refusal).toBeUndefined();
      expect(next.rebirth).toBeUndefined();
      expect(next.readings).toEqual([{ ts: NOW - 500, key: 'Inputs.Supply Voltage', value: 25 }]);
    });

    it('refuses a seq outside 0–255 the same way', () => {
      born();
      const result = sessions.handle(
        topic('NDATA'),
        tahuPayload(256, [{ name: 'Inputs/Supply Voltage', type: 'Float', value: 24 }]),
        NOW,
      );
      expect(result).toMatchObject({ readings: [], refusal: { reason: 'invalid_seq' }, note: 'seq outside 0–255' });
      expect(result.rebirth).toBeDefined();
    });

    it('records a birth without seq (its aliases, its device online) but refuses its readings', () => {
      const node = sessions.handle(topic('NBIRTH'), nbirth(null), NOW);
      expect(node).toMatchObject({
        kind: 'birth',
        onlineDevices: [NODE],
        readings: [],
        refusal: { reason: 'invalid_seq' },
      });
      expect(node.rebirth).toBeDefined();
      const device = sessions.handle(topic('DBIRTH', 'Press7'), dbirth(undefined), NOW + 5000);
      expect(device).toMatchObject({
        kind: 'birth',
        onlineDevices: [`${NODE}:Press7`],
        readings: [],
        refusal: { reason: 'invalid_seq' },
      });
      // Both births still resolve the aliases of the data that follows.
      const data = sessions.handle(topic('DDATA', 'Press7'), aliasData(0, [{ alias: 10, doubleValue: 3 }]), NOW + 5100);
      expect(data.readings).toEqual([{ ts: NOW - 500, key: 'Inputs.Temperature', value: 3 }]);
    });

    it('takes a device offline on a DDEATH without seq, and asks for a rebirth', () => {
      born();
      const death = sessions.handle(topic('DDEATH', 'Press7'), tahuPayload(undefined, []), NOW);
      expect(death).toMatchObject({ kind: 'death', offlineDevices: [`${NODE}:Press7`] });
      expect(death.refusal).toBeUndefined();
      expect(death.rebirth).toBeDefined();
    });

    it('asks at most once per interval, a new NBIRTH in between included, and again after the interval', () => {
      born();
      expect(sessions.handle(topic('NDATA'), aliasData(5, [{ alias: 2, floatValue: 1 }]), NOW).rebirth).toBeDefined();
      expect(
        sessions.handle(topic('NDATA'), aliasData(9, [{ alias: 2, floatValue: 1 }]), NOW + 1000).rebirth,
      ).toBeUndefined();
      expect(
        sessions.handle(topic('NDATA'), aliasData(20, [{ alias: 2, floatValue: 1 }]), NOW + 5000).rebirth,
      ).toBeDefined();
      // An edge node that answers every request with a birth and then breaks the sequence again is not asked
      // after each of its messages.
      sessions.handle(topic('NBIRTH'), nbirth(0), NOW + 5100);
      expect(
        sessions.handle(topic('NDATA'), aliasData(3, [{ alias: 2, floatValue: 1 }]), NOW + 5200).rebirth,
      ).toBeUndefined();
      expect(
        sessions.handle(topic('NDATA'), aliasData(9, [{ alias: 2, floatValue: 1 }]), NOW + 10_000).rebirth,
      ).toBeDefined();
    });

    it('asks for a rebirth on an unknown alias, or another device’s alias, keeping the known metrics', () => {
      born();
      const unknown = sessions.handle(
        topic('DDATA', 'Press7'),
        aliasData(2, [
          { alias: 10, doubleValue: 1 },
          { alias: 99, doubleValue: 2 },
        ]),
        NOW,
      );
      expect(unknown.readings.map((r) => r.key)).toEqual(['Inputs.Temperature']);
      expect(unknown.note).toBe('metrics not in the birth certificate: alias 99');
      expect(decodedRebirth(unknown)).toEqual(REBIRTH);
      // Alias 2 belongs to the edge node, not to Press7.
      const foreign = new SparkplugSessions();
      foreign.handle(topic('NBIRTH'), nbirth(), NOW);
      foreign.handle(topic('DBIRTH', 'Press7'), dbirth(1), NOW);
      const wrongOwner = foreign.handle(topic('DDATA', 'Press7'), aliasData(2, [{ alias: 2, floatValue: 1 }]), NOW);
      expect(wrongOwner.readings).toEqual([]);
      expect(wrongOwner.rebirth).toBeDefined();
    });

    it('ignores data before the birth and asks for a rebirth (e.g. after a Fieldline restart)', () => {
      const result = sessions.handle(topic('NDATA'), aliasData(17, [{ alias: 2, floatValue: 1 }]), NOW);
      expect(result).toMatchObject({ kind: 'ignored', readings: [], note: 'NDATA before NBIRTH' });
      expect(decodedRebirth(result)).toEqual(REBIRTH);
      sessions.handle(topic('NBIRTH'), nbirth(), NOW + 5000);
      const device = sessions.handle(
        topic('DDATA', 'Press7'),
        aliasData(1, [{ alias: 10, doubleValue: 1 }]),
        NOW + 5000,
      );
      expect(device).toMatchObject({ kind: 'ignored', note: 'DDATA before the DBIRTH of its device' });
      expect(device.rebirth).toBeDefined();
    });

    it('ignores malformed protobuf with a refusal, and asks for a rebirth on the gap it leaves', () => {
      born();
      const garbage = sessions.handle(topic('NDATA'), Buffer.from([0x12, 0x10, 0x01]), NOW);
      expect(garbage).toMatchObject({ kind: 'ignored', refusal: { reason: 'malformed_protobuf' } });
      const next = sessions.handle(topic('NDATA'), aliasData(3, [{ alias: 2, floatValue: 1 }]), NOW);
      expect(next.rebirth).toBeDefined();
    });
  });

  describe('templates', () => {
    const definition = {
      name: '_types_/Motor',
      type: 'Template',
      value: {
        isDefinition: true,
        metrics: [
          { name: 'Speed', type: 'Float', value: 0 },
          { name: 'Running', type: 'Boolean', value: false },
        ],
      },
    };
    const instance = {
      name: 'Motor1',
      alias: 5,
      type: 'Template',
      value: {
        isDefinition: false,
        templateRef: '_types_/Motor',
        metrics: [
          { name: 'Speed', type: 'Float', value: 1450.5 },
          { name: 'Running', type: 'Boolean', value: true },
        ],
      },
    };

    it('flattens template instances into one key per member; definitions are not data', () => {
      const birth = sessions.handle(topic('NBIRTH'), nbirth(0, 7, [definition, instance] as TahuMetric[]), NOW);
      expect(birth.readings.map((r) => [r.key, r.value])).toEqual([
        ['Properties.OS', 'Linux'],
        ['Inputs.Supply Voltage', 24.1],
        ['Motor1.Speed', 1450.5],
        ['Motor1.Running', true],
      ]);
      // DATA: the instance by alias, a subset of its members, by name and without datatypes.
      const data = sessions.handle(
        topic('NDATA'),
        aliasData(1, [{ alias: 5, templateValue: { metrics: [{ name: 'Speed', floatValue: 1200 }] } }]),
        NOW,
      );
      expect(data.readings).toEqual([{ ts: NOW - 500, key: 'Motor1.Speed', value: 1200 }]);
      expect(data.rebirth).toBeUndefined();
    });
  });

  describe('deaths', () => {
    it('NDEATH with the current bdSeq takes the node and all its devices offline', () => {
      born();
      const result = sessions.handle(topic('NDEATH'), ndeath(7), NOW + 1);
      expect(result).toEqual({
        kind: 'death',
        group: G,
        edgeNode: E,
        deviceId: NODE,
        ts: NOW + 1,
        readings: [],
        offlineDevices: [NODE, PRESS],
      });
      expect(sessions.nodeCount).toBe(0);
      expect(sessions.handle(topic('NDATA'), aliasData(2, [{ alias: 2, floatValue: 1 }]), NOW).kind).toBe('ignored');
    });

    it('ignores a stale NDEATH that arrives after the node reconnected with a new bdSeq', () => {
      sessions.handle(topic('NBIRTH'), nbirth(0, 7), NOW);
      sessions.handle(topic('NBIRTH'), nbirth(0, 8), NOW + 10);
      const stale = sessions.handle(topic('NDEATH'), ndeath(7), NOW + 20);
      expect(stale).toMatchObject({
        kind: 'ignored',
        note: "stale NDEATH: bdSeq 7 does not match the current session's 8",
      });
      expect(stale.offlineDevices).toBeUndefined();
      expect(sessions.handle(topic('NDEATH'), ndeath(8), NOW + 30).kind).toBe('death');
    });

    it('ignores an NDEATH for an edge node it has no session for', () => {
      expect(sessions.handle(topic('NDEATH'), ndeath(7), NOW)).toMatchObject({
        kind: 'ignored',
        note: 'NDEATH for an edge node without a session',
      });
    });

    it('DDEATH takes one device offline at its timestamp; its data then needs a new DBIRTH', () => {
      born();
      const death = sessions.handle(topic('DDEATH', 'Press7'), tahuPayload(2, [], NOW - 200), NOW);
      expect(death).toMatchObject({
        kind: 'death',
        deviceId: PRESS,
        device: 'Press7',
        offlineDevices: [PRESS],
        ts: NOW - 200,
      });
      expect(death.rebirth).toBeUndefined();
      const late = sessions.handle(topic('DDATA', 'Press7'), aliasData(3, [{ alias: 10, doubleValue: 1 }]), NOW);
      expect(late.kind).toBe('ignored');
      // The node's own NDEATH no longer lists the dead device.
      expect(sessions.handle(topic('NDEATH'), ndeath(7), NOW).offlineDevices).toEqual([NODE]);
    });

    it('honours a DDEATH even without a session (the node publishes it, it is never stale)', () => {
      const death = sessions.handle(topic('DDEATH', 'Press7'), tahuPayload(40, [], NOW - 200), NOW);
      expect(death).toMatchObject({ kind: 'death', offlineDevices: [PRESS] });
      expect(death.rebirth).toBeDefined();
    });

    it('a rebirth with the same bdSeq keeps devices online; a new bdSeq takes the old ones offline', () => {
      born();
      const rebirth = sessions.handle(topic('NBIRTH'), nbirth(0, 7), NOW + 1);
      expect(rebirth.offlineDevices).toBeUndefined();
      expect(sessions.handle(topic('NDEATH'), ndeath(7), NOW + 2).offlineDevices).toEqual([NODE, PRESS]);

      born();
      const reconnect = sessions.handle(topic('NBIRTH'), nbirth(0, 8), NOW + 3);
      expect(reconnect).toMatchObject({ onlineDevices: [NODE], offlineDevices: [PRESS] });
    });
  });

  describe('other messages', () => {
    it('ignores STATE, commands and non-Sparkplug topics', () => {
      expect(sessions.handle('spBv1.0/STATE/scada', '{"online": true}', NOW)).toMatchObject({ kind: 'ignored' });
      expect(sessions.handle(topic('NCMD'), tahuPayload(undefined, []), NOW)).toMatchObject({ kind: 'ignored' });
      expect(sessions.handle(topic('DCMD', 'Press7'), tahuPayload(undefined, []), NOW)).toMatchObject({
        kind: 'ignored',
      });
      expect(sessions.handle('fieldline/devices/x/telemetry', '{}', NOW)).toMatchObject({
        kind: 'ignored',
        note: 'not a Sparkplug B topic',
      });
    });

    it('never throws on random topics and bytes', () => {
      const types = ['NBIRTH', 'NDATA', 'NDEATH', 'DBIRTH', 'DDATA', 'DDEATH', 'NCMD', 'STATE'];
      const randomTopic = fc.oneof(
        fc.string(),
        fc
          .tuple(fc.constantFrom(...types), fc.constantFrom('D', 'E', ''))
          .map(([t, d]) => `spBv1.0/G/${t}/E${d ? `/${d}` : ''}`),
      );
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.constant(new Uint8Array(nbirth())),
        fc.constant(new Uint8Array(aliasData(1, [{ alias: 2, floatValue: 1 }]))),
      );
      fc.assert(
        fc.property(fc.array(fc.tuple(randomTopic, bytes), { maxLength: 20 }), (messages) => {
          const s = new SparkplugSessions();
          for (const [t, b] of messages) {
            const result = s.handle(t, b, NOW);
            expect(['birth', 'data', 'death', 'ignored']).toContain(result.kind);
            expect(Array.isArray(result.readings)).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('commands', () => {
    it('address metrics by Fieldline key or Sparkplug name, with the birth datatype', () => {
      born();
      const command = sessions.command(PRESS, [{ metric: 'Outputs.Setpoint', value: 210 }], NOW);
      expect(command).toMatchObject({ ok: true, topic: 'spBv1.0/Plant1/DCMD/Line4/Press7' });
      if (command.ok) {
        expect(tahu.decodePayload(command.payload).metrics).toEqual([
          expect.objectContaining({ name: 'Outputs/Setpoint', type: 'Int16', value: 210 }),
        ]);
      }
      expect(sessions.command(PRESS, [{ metric: 'Outputs/Setpoint', value: 70_000 }], NOW)).toMatchObject({
        ok: false,
        reason: 'invalid_value',
      });
      expect(sessions.command(NODE, [{ metric: 'Node Control/Reboot', value: true }], NOW)).toMatchObject({
        ok: true,
        topic: 'spBv1.0/Plant1/NCMD/Line4',
      });
      expect(sessions.command('device-001', [{ metric: 'a', value: 1 }], NOW)).toMatchObject({
        ok: false,
        reason: 'unsupported',
      });
    });
  });

  describe('properties', () => {
    const scalar = fc.oneof(
      fc.record({ type: fc.constant('Int32'), value: fc.integer() }),
      fc.record({ type: fc.constant('Int8'), value: fc.integer({ min: -128, max: 127 }) }),
      fc.record({ type: fc.constant('UInt16'), value: fc.integer({ min: 0, max: 65535 }) }),
      fc.record({ type: fc.constant('UInt32'), value: fc.integer({ min: 0, max: 4294967295 }) }),
      fc.record({ type: fc.constant('Int64'), value: fc.maxSafeInteger() }),
      fc.record({
        type: fc.constant('Double'),
        value: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
      }),
      fc.record({
        type: fc.constant('Float'),
        value: fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround),
      }),
      fc.record({ type: fc.constant('Boolean'), value: fc.boolean() }),
      fc.record({
        type: fc.constant('String'),
        value: fc.string({ maxLength: 30 }).filter((s) => !s.includes('\u0000')),
      }),
    );

    it('births then alias-only DATA decode to exactly the values encoded', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.tuple(validKey, scalar), { minLength: 1, maxLength: 10, selector: ([k]) => k }),
          (metrics) => {
            const s = new SparkplugSessions();
            const birthMetrics = metrics.map(([name, m], i) => ({
              name,
              alias: 100 + i,
              type: m.type,
              value: m.value,
            }));
            const birth = s.handle(topic('NBIRTH'), tahuPayload(0, birthMetrics as TahuMetric[]), NOW);
            // Floats come back as the shortest decimal of the same float32; everything else exactly.
            const check = (readings: Reading[]) => {
              expect(readings.map((r) => [r.ts, r.key])).toEqual(metrics.map(([name]) => [NOW - 1000, name]));
              readings.forEach((r, i) => {
                const [, m] = metrics[i] as (typeof metrics)[number];
                if (m.type === 'Float')
                  expect(Math.fround(r.value as number)).toBe(Math.fround(m.value as number) || 0);
                else expect(r.value).toEqual(stored(m.value as never));
              });
            };
            expect(birth.refusal).toBeUndefined();
            check(birth.readings);
            // The same values again as Sparkplug 3.0 DATA: aliases only, no names, no datatypes.
            const data = aliasData(
              1,
              birthMetrics.map(({ alias, type, value }) => ({ alias, ...valueField(type, value) })),
              NOW - 1000,
            );
            const result = s.handle(topic('NDATA'), data, NOW);
            expect(result.rebirth).toBeUndefined();
            check(result.readings);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
