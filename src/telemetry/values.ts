import type { TelemetryValue } from './codecs/types.js';

/** How a value is stored: kind says which column holds it (see TelemetryTable in storage/schema.ts). */
export enum ValueKind {
  Number = 0,
  Boolean = 1,
  String = 2,
  Json = 3,
}

export interface StoredValue {
  num: number | null;
  str: string | null;
  kind: ValueKind;
}

export function encodeValue(value: TelemetryValue): StoredValue {
  switch (typeof value) {
    case 'number':
      return { num: value, str: null, kind: ValueKind.Number };
    case 'boolean':
      // Booleans keep a numeric twin so avg() over them is a duty cycle.
      return { num: value ? 1 : 0, str: null, kind: ValueKind.Boolean };
    case 'string':
      return { num: null, str: value, kind: ValueKind.String };
    default:
      return { num: null, str: JSON.stringify(value), kind: ValueKind.Json };
  }
}

export function decodeValue(num: number | null, str: string | null, kind: number): TelemetryValue {
  switch (kind) {
    case ValueKind.Number:
      return Number(num);
    case ValueKind.Boolean:
      return num === 1;
    case ValueKind.String:
      return str ?? '';
    default:
      return JSON.parse(str ?? 'null') as TelemetryValue;
  }
}
