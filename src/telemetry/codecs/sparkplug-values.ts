import type { JsonValue, TelemetryValue } from './types.js';

/**
 * Sparkplug B datatypes → telemetry values (Sparkplug B 3.0 §6.4.16 "Data Types", §6.4.17 "Datatype Details").
 * Decisions:
 * - Int8/16/32, UInt8/16/32, Int64, UInt64, Float, Double → number. 64-bit integers beyond ±2^53 are refused
 *   (a double would silently change them). Float is a 32-bit float: it is turned into the shortest decimal
 *   that reads back as the same float, so 23.4f is 23.4 and not 23.399999618530273.
 * - Boolean → boolean; String, Text, UUID → string; DateTime → number (epoch ms).
 * - DataSet → JSON {columns, types, rows}: tables (recipes, batch reports) stay usable, within the nested JSON
 *   limits. Template instances are flattened by the session into one key per member (`Motor1.Speed`), which
 *   is what rules and charts need; Template definitions are schema, not data.
 * - Arrays (Int8Array … DateTimeArray, 3.0) → JSON arrays.
 * - Bytes, File, PropertySet, PropertySetList → skipped, not refused: they are blobs or metadata, not
 *   time series, and refusing would drop the whole birth certificate of an otherwise fine edge node.
 */
export const SparkplugDataType = Object.freeze({
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
});
export type SparkplugDataTypeName = keyof typeof SparkplugDataType;

const TYPE_NAMES: readonly string[] = Object.keys(SparkplugDataType);

export function sparkplugDataTypeName(code: number): string {
  return TYPE_NAMES[code] ?? `unknown datatype ${code}`;
}

/** A protobuf uint64 as protobufjs hands it over: a Long when the `long` package is present, else a number. */
export interface LongBits {
  low: number;
  high: number;
}
export type Uint64 = number | LongBits;

/** The value fields of a Metric, DataSetValue or Template.Parameter (proto2: a field is set iff own property). */
export interface SparkplugValueFields {
  intValue?: number | null;
  longValue?: Uint64 | null;
  floatValue?: number | null;
  doubleValue?: number | null;
  booleanValue?: boolean | null;
  stringValue?: string | null;
  bytesValue?: Uint8Array | null;
  datasetValue?: RawDataSet | null;
}

export interface RawDataSet {
  numOfColumns?: Uint64;
  columns?: string[];
  types?: number[];
  rows?: { elements?: SparkplugValueFields[] }[];
}

/** Why a metric gives no reading: no value (`null`), a datatype Fieldline does not store (`skip`), or bad data. */
export class MetricValueIssue {
  constructor(
    readonly kind: 'null' | 'skip' | 'invalid',
    readonly detail: string,
  ) {}
}
const NO_VALUE = new MetricValueIssue('null', 'no value');

/** uint64 → number, or NaN beyond 2^53. */
export function uint64ToNumber(v: Uint64): number {
  if (typeof v === 'number') return v;
  const n = (v.high >>> 0) * 2 ** 32 + (v.low >>> 0);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/** The same 64 bits read as a signed integer (Int64, DateTime), or NaN beyond ±2^53. */
export function int64ToNumber(v: Uint64): number {
  if (typeof v === 'number') return v;
  const n = (v.high | 0) * 2 ** 32 + (v.low >>> 0);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

const FLOAT32_MIN_NORMAL = 2 ** -126;

/** The shortest decimal that reads back as the same 32-bit float (see the module comment). */
export function float32ToNumber(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  // For a normal float32 at most one 6-significant-digit decimal falls in its rounding interval (relative width
  // ≤ 2^-23 < 10^-6), so if 6 digits round trip they are the shortest form; otherwise 7, 8 or 9 do (9 always
  // does). Subnormals have wider intervals and start from one digit.
  for (let digits = Math.abs(f) < FLOAT32_MIN_NORMAL ? 1 : 6; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}

/**
 * The value of a metric (or a DataSet cell, or a Template parameter) of `datatype`, reading the proto field
 * §6.4.17 assigns to it. Answers a MetricValueIssue rather than throwing.
 */
export function sparkplugValue(fields: SparkplugValueFields, datatype: number): TelemetryValue | MetricValueIssue {
  switch (datatype) {
    case SparkplugDataType.Int8:
      return withInt(fields, (v) => (v << 24) >> 24);
    case SparkplugDataType.Int16:
      return withInt(fields, (v) => (v << 16) >> 16);
    case SparkplugDataType.Int32:
      return withInt(fields, (v) => v | 0);
    case SparkplugDataType.UInt8:
      return withInt(fields, (v) => v & 0xff);
    case SparkplugDataType.UInt16:
      return withInt(fields, (v) => v & 0xffff);
    case SparkplugDataType.UInt32:
      // §6.4.17 puts UInt32 in long_value; some encoders use int_value. Either way the low 32 bits, unsigned.
      if (has(fields, 'longValue')) return uint32(uint64ToNumberOrLow(fields.longValue));
      return withInt(fields, (v) => v >>> 0);
    case SparkplugDataType.Int64:
    case SparkplugDataType.DateTime:
      return withLong(fields, int64ToNumber, datatype);
    case SparkplugDataType.UInt64:
      return withLong(fields, uint64ToNumber, datatype);
    case SparkplugDataType.Float:
      return has(fields, 'floatValue') ? float32ToNumber(fields.floatValue) : NO_VALUE;
    case SparkplugDataType.Double:
      return has(fields, 'doubleValue') ? fields.doubleValue : NO_VALUE;
    case SparkplugDataType.Boolean:
      return has(fields, 'booleanValue') ? fields.booleanValue : NO_VALUE;
    case SparkplugDataType.String:
    case SparkplugDataType.Text:
    case SparkplugDataType.UUID:
      return has(fields, 'stringValue') ? fields.stringValue : NO_VALUE;
    case SparkplugDataType.DataSet:
      return has(fields, 'datasetValue') ? dataSetJson(fields.datasetValue) : NO_VALUE;
    case SparkplugDataType.Bytes:
    case SparkplugDataType.File:
    case SparkplugDataType.PropertySet:
    case SparkplugDataType.PropertySetList:
    case SparkplugDataType.Template:
      return new MetricValueIssue('skip', `${sparkplugDataTypeName(datatype)} is not stored as telemetry`);
    default:
      if (datatype >= SparkplugDataType.Int8Array && datatype <= SparkplugDataType.DateTimeArray) {
        return has(fields, 'bytesValue') ? arrayJson(fields.bytesValue, datatype) : NO_VALUE;
      }
      return new MetricValueIssue('invalid', `unknown datatype ${datatype}`);
  }
}

function has<K extends keyof SparkplugValueFields>(
  fields: SparkplugValueFields,
  field: K,
): fields is SparkplugValueFields & { [P in K]-?: NonNullable<SparkplugValueFields[P]> } {
  const v = fields[field];
  return v !== null && v !== undefined && Object.hasOwn(fields, field);
}

function withInt(fields: SparkplugValueFields, convert: (v: number) => number): number | MetricValueIssue {
  if (has(fields, 'intValue')) return convert(fields.intValue);
  // An int_value-typed metric sent in long_value (seen in the wild): accept the low 32 bits.
  if (has(fields, 'longValue')) return convert(uint64ToNumberOrLow(fields.longValue));
  return NO_VALUE;
}

function withLong(
  fields: SparkplugValueFields,
  convert: (v: Uint64) => number,
  datatype: number,
): number | MetricValueIssue {
  let n: number;
  if (has(fields, 'longValue')) n = convert(fields.longValue);
  else if (has(fields, 'intValue')) n = fields.intValue >>> 0;
  else return NO_VALUE;
  return Number.isNaN(n)
    ? new MetricValueIssue(
        'invalid',
        `${sparkplugDataTypeName(datatype)} value is beyond ±2^53 and cannot be stored exactly`,
      )
    : n;
}

function uint64ToNumberOrLow(v: Uint64): number {
  return typeof v === 'number' ? v : v.low;
}

function uint32(v: number): number {
  return v >>> 0;
}

/** §6.4.11 DataSet as JSON {columns, types, rows}; cells of unknown types become null. */
function dataSetJson(ds: RawDataSet): TelemetryValue | MetricValueIssue {
  const types = ds.types ?? [];
  const columns = ds.columns ?? [];
  if (columns.length !== types.length) {
    // [tck-id-payloads-dataset-types-num]
    return new MetricValueIssue('invalid', 'DataSet has a different number of columns and types');
  }
  const rows: JsonValue[][] = [];
  for (const row of ds.rows ?? []) {
    const elements = row.elements ?? [];
    const cells: JsonValue[] = [];
    for (let c = 0; c < types.length; c++) {
      const element = elements[c];
      const type = types[c] ?? 0;
      const cell = element === undefined ? NO_VALUE : sparkplugValue(element, type);
      if (cell instanceof MetricValueIssue) {
        if (cell.kind === 'invalid') return cell;
        cells.push(null);
      } else {
        cells.push(cell);
      }
    }
    rows.push(cells);
  }
  return { columns: [...columns], types: types.map(sparkplugDataTypeName), rows };
}

/**
 * §6.4.17 array datatypes: little-endian packed values in bytes_value. BooleanArray is a 4-byte little-endian
 * count followed by the bits, most significant bit first; StringArray is NUL-terminated UTF-8 strings.
 */
function arrayJson(bytes: Uint8Array, datatype: number): TelemetryValue | MetricValueIssue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  const out: JsonValue[] = [];
  const fixed = (size: number, read: (offset: number) => number): TelemetryValue | MetricValueIssue => {
    if (n % size !== 0) return new MetricValueIssue('invalid', `${sparkplugDataTypeName(datatype)} has ${n} bytes`);
    for (let o = 0; o < n; o += size) {
      const v = read(o);
      if (Number.isNaN(v) && size === 8 && datatype !== SparkplugDataType.DoubleArray) {
        return new MetricValueIssue('invalid', `${sparkplugDataTypeName(datatype)} holds a value beyond ±2^53`);
      }
      out.push(v);
    }
    return out;
  };
  const long = (o: number, signed: boolean): number => {
    const bits = { low: view.getUint32(o, true), high: view.getUint32(o + 4, true) };
    return signed ? int64ToNumber(bits) : uint64ToNumber(bits);
  };
  switch (datatype) {
    case SparkplugDataType.Int8Array:
      return fixed(1, (o) => view.getInt8(o));
    case SparkplugDataType.UInt8Array:
      return fixed(1, (o) => view.getUint8(o));
    case SparkplugDataType.Int16Array:
      return fixed(2, (o) => view.getInt16(o, true));
    case SparkplugDataType.UInt16Array:
      return fixed(2, (o) => view.getUint16(o, true));
    case SparkplugDataType.Int32Array:
      return fixed(4, (o) => view.getInt32(o, true));
    case SparkplugDataType.UInt32Array:
      return fixed(4, (o) => view.getUint32(o, true));
    case SparkplugDataType.Int64Array:
    case SparkplugDataType.DateTimeArray:
      return fixed(8, (o) => long(o, true));
    case SparkplugDataType.UInt64Array:
      return fixed(8, (o) => long(o, false));
    case SparkplugDataType.FloatArray:
      return fixed(4, (o) => float32ToNumber(view.getFloat32(o, true)));
    case SparkplugDataType.DoubleArray:
      return fixed(8, (o) => view.getFloat64(o, true));
    case SparkplugDataType.BooleanArray: {
      if (n < 4) return new MetricValueIssue('invalid', 'BooleanArray is shorter than its 4-byte count');
      const count = view.getUint32(0, true);
      if (Math.ceil(count / 8) > n - 4)
        return new MetricValueIssue('invalid', 'BooleanArray is shorter than its count');
      for (let i = 0; i < count; i++) out.push(((bytes[4 + (i >> 3)] ?? 0) & (0x80 >> (i & 7))) !== 0);
      return out;
    }
    case SparkplugDataType.StringArray: {
      let start = 0;
      for (let i = 0; i < n; i++) {
        if (bytes[i] === 0) {
          out.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, i - start).toString('utf8'));
          start = i + 1;
        }
      }
      if (start !== n) return new MetricValueIssue('invalid', 'StringArray does not end with a NUL');
      return out;
    }
    default:
      return new MetricValueIssue('invalid', `unknown datatype ${datatype}`);
  }
}
