/**
 * The shapes every codec speaks. Codecs are pure: bytes (or an already parsed JSON document) in, readings or
 * one refusal out. They never throw on device input, never touch transport, storage or the clock (`now` is
 * passed in), so the ingest pipeline can call them on its hot path and tests can drive them directly.
 */

export type JsonValue = null | boolean | number | string | JsonObjectOrArray;
export type JsonObjectOrArray = { [key: string]: JsonValue } | JsonValue[];

/** A telemetry value as stored: numbers, booleans and strings stay scalar; nested JSON stays JSON. */
export type TelemetryValue = number | boolean | string | JsonObjectOrArray;

/** One data point of one device: `ts` is epoch milliseconds (UTC). */
export interface Reading {
  ts: number;
  key: string;
  value: TelemetryValue;
}

export type RefusalReason =
  | 'malformed_json'
  | 'malformed_protobuf'
  | 'invalid_value'
  | 'invalid_key'
  | 'bad_timestamp'
  | 'invalid_seq'
  | 'empty'
  | 'too_many_points'
  | 'unsupported';

/** Why a message was refused as a whole; `detail` names the key or field at fault, for the device's last error. */
export interface Refusal {
  ok: false;
  reason: RefusalReason;
  detail: string;
}

export type DecodeOutcome = { ok: true; readings: Reading[] } | Refusal;

/** What MQTT hands us (Buffer), what tests like to write (string), or any byte view. */
export type Payload = Buffer | Uint8Array | string;

export type DeviceStatus = 'online' | 'offline';
export type StatusOutcome = { ok: true; status: DeviceStatus } | Refusal;

/** Client-side attributes (ThingsBoard `v1/devices/me/attributes`): latest value per key, no time series. */
export type AttributesOutcome = { ok: true; attributes: Record<string, TelemetryValue> } | Refusal;

export function refuse(reason: RefusalReason, detail: string): Refusal {
  return { ok: false, reason, detail };
}
