/**
 * `npm run bench -- codecs [seconds-per-case]`: decode throughput of each telemetry codec on one core, side by
 * side with its floor measured in the same run — a bare `JSON.parse` of the same bytes for the JSON codecs, a
 * bare protobuf `Payload.decode` for Sparkplug. Payloads arrive as Buffers, as from MQTT. Prints one JSON line.
 */
import spb from 'sparkplug-payload';
import sparkplugProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { decodeNativeTelemetry, decodeThingsBoardTelemetry, SparkplugSessions } from '../src/telemetry/codecs/index.js';

const secondsPerCase = Number(process.argv[2] ?? 1.5);
const now = Date.now();
const ts = now - 60_000;
const tahu = spb.get('spBv1.0');
if (tahu === null) throw new Error('sparkplug-payload lacks spBv1.0');
const Payload = sparkplugProto.org.eclipse.tahu.protobuf.Payload;

// Five points per message, like the ingest benchmark's simulated devices.
const sample = (i: number) => ({
  temperature: 21.5 + (i % 10) / 10,
  humidity: 45.2,
  pressure: 1013.25,
  vibration: 0.0123,
  running: true,
});
const messages = (make: (i: number) => unknown): Buffer[] =>
  Array.from({ length: 256 }, (_, i) => Buffer.from(JSON.stringify(make(i))));

const nativeFlat = messages(sample);
const nativeTimestamped = messages((i) => ({ ts: ts + i, values: sample(i) }));
const nativeBatch = messages((i) => Array.from({ length: 20 }, (_, j) => ({ ts: ts + i * 20 + j, values: sample(j) })));
const thingsBoard = messages((i) => ({ ts: ts + i, values: { ...sample(i), firmware: '1.4.2', rssi: '-67' } }));

// Sparkplug 3.0 DDATA: five aliased metrics, no names, no datatypes; seq 1…255, 0, … after a DBIRTH.
const group = 'Plant1';
const edge = 'Line4';
const sessions = new SparkplugSessions();
const birthMetrics = [
  { name: 'Inputs/Temperature', alias: 1, type: 'Float' as const, value: 21.5 },
  { name: 'Inputs/Pressure', alias: 2, type: 'Double' as const, value: 1013.25 },
  { name: 'Inputs/Running', alias: 3, type: 'Boolean' as const, value: true },
  { name: 'Counters/Cycles', alias: 4, type: 'Int32' as const, value: 1 },
  { name: 'Counters/Energy Wh', alias: 5, type: 'Int64' as const, value: 1 },
];
sessions.handle(
  `spBv1.0/${group}/NBIRTH/${edge}`,
  Buffer.from(
    tahu.encodePayload({ timestamp: ts, seq: 0, metrics: [{ name: 'bdSeq', type: 'Int64' as const, value: 0 }] }),
  ),
  now,
);
sessions.handle(
  `spBv1.0/${group}/DBIRTH/${edge}/Press7`,
  Buffer.from(tahu.encodePayload({ timestamp: ts, seq: 1, metrics: birthMetrics })),
  now,
);
const sparkplugData = Array.from({ length: 256 }, (_, i) =>
  Buffer.from(
    Payload.encode(
      Payload.create({
        timestamp: ts + i,
        seq: (i + 2) % 256,
        metrics: [
          Payload.Metric.create({ alias: 1, floatValue: 21.5 + (i % 10) / 10 }),
          Payload.Metric.create({ alias: 2, doubleValue: 1013.25 }),
          Payload.Metric.create({ alias: 3, booleanValue: i % 2 === 0 }),
          Payload.Metric.create({ alias: 4, intValue: i }),
          Payload.Metric.create({ alias: 5, longValue: 1_000_000 + i }),
        ],
      }),
    ).finish(),
  ),
);
const sparkplugTopic = `spBv1.0/${group}/DDATA/${edge}/Press7`;

interface Tally {
  messages: number;
  points: number;
  ms: number;
}

/** Position in the payload ring: Sparkplug messages must keep their seq order across slices. */
interface Cursor {
  next: number;
}

/** Runs `decode` over the messages round-robin for about `ms`, adding to `tally`. */
function run(payloads: Buffer[], decode: (payload: Buffer) => number, ms: number, tally: Tally, cursor: Cursor): void {
  const start = performance.now();
  let t = start;
  while (t - start < ms) {
    for (let k = 0; k < 500; k++) tally.points += decode(payloads[cursor.next++ % payloads.length] as Buffer);
    tally.messages += 500;
    t = performance.now();
  }
  tally.ms += t - start;
}

/**
 * Codec and floor alternate in 100 ms slices, so both see the same share of a machine shared with other work
 * and their ratio stays meaningful even when absolute figures move.
 */
function measurePair(payloads: Buffer[], decode: (p: Buffer) => number, floor: (p: Buffer) => number) {
  const codec: Tally = { messages: 0, points: 0, ms: 0 };
  const reference: Tally = { messages: 0, points: 0, ms: 0 };
  const codecCursor: Cursor = { next: 0 };
  const floorCursor: Cursor = { next: 0 };
  run(payloads, decode, 300, { messages: 0, points: 0, ms: 0 }, codecCursor); // warm-up
  run(payloads, floor, 300, { messages: 0, points: 0, ms: 0 }, floorCursor);
  const slices = Math.max(1, Math.round((secondsPerCase * 1000) / 100));
  for (let n = 0; n < slices; n++) {
    run(payloads, decode, 100, codec, codecCursor);
    run(payloads, floor, 100, reference, floorCursor);
  }
  return { codec, reference };
}

const readingsOf = (outcome: { ok: boolean; readings?: unknown[] }): number => {
  if (!outcome.ok) throw new Error(`bench payload refused: ${JSON.stringify(outcome)}`);
  return outcome.readings?.length ?? 0;
};
// The floor: parsing alone; counting keys keeps the work from being optimised away.
const jsonParseOnly = (payload: Buffer): number => (JSON.parse(payload.toString('utf8')) === null ? 0 : 1);
const protobufOnly = (payload: Buffer): number => Payload.decode(payload).metrics.length;

function codecCase(payloads: Buffer[], decode: (payload: Buffer) => number, floor: (payload: Buffer) => number) {
  const { codec, reference } = measurePair(payloads, decode, floor);
  const messagesPerS = codec.messages / (codec.ms / 1000);
  const referencePerS = reference.messages / (reference.ms / 1000);
  return {
    readings_per_s: Math.round(codec.points / (codec.ms / 1000)),
    messages_per_s: Math.round(messagesPerS),
    points_per_message: Math.round(codec.points / codec.messages),
    reference_messages_per_s: Math.round(referencePerS),
    ratio_to_reference: Number((messagesPerS / referencePerS).toFixed(2)),
  };
}

const result = {
  bench: 'codecs',
  node: process.version,
  seconds_per_case: secondsPerCase,
  reference: 'JSON.parse of the same Buffer (JSON codecs) / protobuf Payload.decode (Sparkplug), same run, one core',
  native_flat: codecCase(nativeFlat, (p) => readingsOf(decodeNativeTelemetry(p, now)), jsonParseOnly),
  native_timestamped: codecCase(nativeTimestamped, (p) => readingsOf(decodeNativeTelemetry(p, now)), jsonParseOnly),
  native_batch_100: codecCase(nativeBatch, (p) => readingsOf(decodeNativeTelemetry(p, now)), jsonParseOnly),
  thingsboard_timestamped: codecCase(thingsBoard, (p) => readingsOf(decodeThingsBoardTelemetry(p, now)), jsonParseOnly),
  sparkplug_ddata: codecCase(
    sparkplugData,
    (p) => {
      const r = sessions.handle(sparkplugTopic, p, now);
      if (r.kind !== 'data' || r.rebirth !== undefined || r.refusal !== undefined)
        throw new Error(`bench: ${JSON.stringify(r)}`);
      return r.readings.length;
    },
    protobufOnly,
  ),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
