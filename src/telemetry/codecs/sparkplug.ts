import spb from 'sparkplug-payload';
import sparkplugProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { asBuffer } from './json-payload.js';
import type { SparkplugDeviceMessageType, SparkplugNodeMessageType } from './sparkplug-topic.js';
import { sparkplugTopic } from './sparkplug-topic.js';
import type { RawDataSet, SparkplugDataTypeName, SparkplugValueFields, Uint64 } from './sparkplug-values.js';
import { SparkplugDataType, uint64ToNumber } from './sparkplug-values.js';
import type { Payload, Refusal } from './types.js';
import { refuse } from './types.js';

export {
  parseSparkplugDeviceId,
  parseSparkplugTopic,
  SPARKPLUG_NAMESPACE,
  type SparkplugIdentity,
  type SparkplugTopic,
  sparkplugDeviceId,
  sparkplugMetricKey,
} from './sparkplug-topic.js';

/**
 * Sparkplug B payloads (Eclipse Tahu protobuf, `sparkplug-payload`).
 *
 * Decoding uses the package's generated protobuf `Payload.decode` directly instead of its `decodePayload`
 * wrapper, because the wrapper picks each value by the datatype carried in the same metric — and Sparkplug B 3.0
 * §6.4.6 says DATA messages SHOULD NOT carry datatypes [tck-id-payloads-metric-datatype-not-req]: the host must
 * take them from the birth certificate, which only the session knows. Reading the raw message also keeps
 * field presence (proto2 "has"), sign-extends Int8/Int16 whichever way they were encoded, reads UInt32 above
 * 2^31 correctly, and skips a copy of every metric. Encoding (commands) uses the package's `encodePayload`.
 */

const pb = sparkplugProto.org.eclipse.tahu.protobuf;
const tahu = spb.get('spBv1.0');

/** A decoded Metric; fields are set iff they are own properties (protobufjs puts defaults on the prototype). */
export interface RawMetric extends SparkplugValueFields {
  name?: string;
  alias?: Uint64;
  timestamp?: Uint64;
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  isNull?: boolean;
  templateValue?: RawTemplate | null;
  datasetValue?: RawDataSet | null;
}

export interface RawTemplate {
  isDefinition?: boolean;
  templateRef?: string;
  metrics?: RawMetric[];
}

/** A Sparkplug payload with presence resolved: absent fields are undefined. */
export interface SparkplugPayload {
  timestamp: number | undefined;
  /** 0–255, undefined when absent, NaN when present but out of range (§6.4.5 [tck-id-payloads-sequence-num-incrementing]). */
  seq: number | undefined;
  metrics: RawMetric[];
}

export type SparkplugDecodeOutcome = { ok: true; payload: SparkplugPayload } | Refusal;

export function decodeSparkplugPayload(payload: Payload): SparkplugDecodeOutcome {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : asBuffer(payload);
  if (bytes.byteLength === 0) return refuse('empty', 'empty Sparkplug payload');
  let raw: { timestamp?: Uint64; seq?: Uint64; metrics?: RawMetric[] };
  try {
    raw = pb.Payload.decode(bytes) as typeof raw;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return refuse('malformed_protobuf', `not a Sparkplug B payload: ${message.slice(0, 120)}`);
  }
  const seq = Object.hasOwn(raw, 'seq') && raw.seq !== undefined ? uint64ToNumber(raw.seq) : undefined;
  return {
    ok: true,
    payload: {
      timestamp:
        Object.hasOwn(raw, 'timestamp') && raw.timestamp !== undefined ? uint64ToNumber(raw.timestamp) : undefined,
      seq: seq === undefined || (seq >= 0 && seq <= 255) ? seq : Number.NaN,
      metrics: raw.metrics ?? [],
    },
  };
}

/** Presence check for a decoded metric field. */
export function hasField<K extends keyof RawMetric>(metric: RawMetric, field: K): boolean {
  return Object.hasOwn(metric, field) && metric[field] !== null && metric[field] !== undefined;
}

/** The datatypes a command may write: the scalar ones (§6.4.16 "Basic Data Types"). */
export type SparkplugScalarType = Extract<
  SparkplugDataTypeName,
  | 'Int8'
  | 'Int16'
  | 'Int32'
  | 'Int64'
  | 'UInt8'
  | 'UInt16'
  | 'UInt32'
  | 'UInt64'
  | 'Float'
  | 'Double'
  | 'Boolean'
  | 'String'
  | 'Text'
  | 'UUID'
  | 'DateTime'
>;

export interface SparkplugCommandMetric {
  name: string;
  value: number | boolean | string;
  /** The metric's datatype from its birth certificate; inferred from the value when absent (see below). */
  type?: SparkplugScalarType;
}

export type SparkplugCommandOutcome = { ok: true; topic: string; payload: Buffer } | Refusal;

const INT_RANGES: Partial<Record<SparkplugScalarType, readonly [number, number]>> = {
  Int8: [-128, 127],
  Int16: [-32_768, 32_767],
  Int32: [-2_147_483_648, 2_147_483_647],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt8: [0, 255],
  UInt16: [0, 65_535],
  UInt32: [0, 4_294_967_295],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
  DateTime: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * A command from Fieldline to a Sparkplug edge node (NCMD, `device` undefined) or device (DCMD).
 * §6.4.23/§6.4.24: a payload timestamp and no seq [tck-id-payloads-ncmd-seq] [tck-id-payloads-dcmd-seq]; the
 * value must be compatible with the metric's datatype (§5.17 [tck-id-operational-behavior-data-commands-ncmd-metric-value]),
 * which is checked here. Metrics are addressed by name, which every edge node accepts; pass the birth datatype
 * as `type` (SparkplugSessions.command does) — otherwise booleans are Boolean, strings String, integers Int64
 * and other numbers Double. The message goes out with QoS 0, retain false (§6.4.23 [tck-id-payloads-ncmd-qos]).
 */
export function encodeSparkplugCommand(
  group: string,
  edgeNode: string,
  device: string | undefined,
  metrics: readonly SparkplugCommandMetric[],
  now: number,
): SparkplugCommandOutcome {
  if (metrics.length === 0) return refuse('empty', 'a command needs at least one metric');
  const encoded: { name: string; type: SparkplugScalarType; value: number | boolean | string }[] = [];
  for (const metric of metrics) {
    const type = metric.type ?? inferType(metric.value);
    const problem = commandValueProblem(type, metric.value);
    if (problem !== undefined) return refuse('invalid_value', `metric ${JSON.stringify(metric.name)}: ${problem}`);
    encoded.push({ name: metric.name, type, value: metric.value });
  }
  const type: SparkplugNodeMessageType | SparkplugDeviceMessageType = device === undefined ? 'NCMD' : 'DCMD';
  return {
    ok: true,
    topic: sparkplugTopic(group, type, edgeNode, device),
    payload: encode({ timestamp: now, metrics: encoded }),
  };
}

/**
 * The Rebirth Request: NCMD with the Boolean metric `Node Control/Rebirth` = true (§5.17 "Commands"
 * [tck-id-operational-behavior-data-commands-ncmd-rebirth-verb], […-ncmd-rebirth-name], […-ncmd-rebirth-value]).
 */
export function encodeRebirthRequest(group: string, edgeNode: string, now: number): { topic: string; payload: Buffer } {
  return {
    topic: sparkplugTopic(group, 'NCMD', edgeNode),
    payload: encode({ timestamp: now, metrics: [{ name: REBIRTH_METRIC, type: 'Boolean', value: true }] }),
  };
}

export const REBIRTH_METRIC = 'Node Control/Rebirth';
export const BDSEQ_METRIC = 'bdSeq';

function encode(payload: {
  timestamp: number;
  metrics: { name: string; type: SparkplugScalarType; value: number | boolean | string }[];
}): Buffer {
  if (tahu === null) throw new Error('sparkplug-payload does not know spBv1.0');
  const bytes = tahu.encodePayload(payload);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function inferType(value: number | boolean | string): SparkplugScalarType {
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'string') return 'String';
  return Number.isInteger(value) ? 'Int64' : 'Double';
}

function commandValueProblem(type: SparkplugScalarType, value: unknown): string | undefined {
  if (!(type in SparkplugDataType)) return `unknown datatype ${String(type)}`;
  switch (type) {
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : 'a Boolean metric needs true or false';
    case 'String':
    case 'Text':
    case 'UUID':
      return typeof value === 'string' ? undefined : `a ${type} metric needs a string`;
    case 'Float':
    case 'Double':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `a ${type} metric needs a finite number`;
    default: {
      const range = INT_RANGES[type];
      if (range === undefined) return `${type} cannot be written by a command`;
      if (typeof value !== 'number' || !Number.isInteger(value)) return `a ${type} metric needs an integer`;
      return value < range[0] || value > range[1] ? `${value} is out of range for ${type}` : undefined;
    }
  }
}
