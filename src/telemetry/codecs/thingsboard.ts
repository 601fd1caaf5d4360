import { isJsonObject, parseJsonPayload, payloadText } from './json-payload.js';
import { TELEMETRY_LIMITS } from './limits.js';
import type { AttributesOutcome, DecodeOutcome, JsonValue, Payload, Refusal, TelemetryValue } from './types.js';
import { refuse } from './types.js';
import { ReadingSink } from './validate.js';

/**
 * ThingsBoard's MQTT device API, so that firmware written for ThingsBoard works unchanged. Parsing follows
 * ThingsBoard's transport JsonConverter:
 * - telemetry is an object or an array of objects; an object with both `ts` and `values` is a timestamped
 *   sample (`ts` a number or a string of digits, other keys ignored), any other object is a flat set of
 *   key/values at server time — including a lone `ts` key, which ThingsBoard stores as a key named "ts";
 * - null values are dropped and the rest kept;
 * - strings that parse as numbers are stored as numbers (ThingsBoard's `transport.json.type_cast_enabled`,
 *   on by default): "23.5" → 23.5, "-12" → -12; an integer string beyond ±2^53 stays a string, lossless;
 * - objects and arrays are stored as JSON.
 * Fieldline's shared limits (keys, string length, timestamps, points per message) then apply as for every codec.
 */
export const THINGSBOARD_TOPICS = Object.freeze({
  telemetry: 'v1/devices/me/telemetry',
  attributes: 'v1/devices/me/attributes',
  rpcRequestPrefix: 'v1/devices/me/rpc/request/',
  rpcResponsePrefix: 'v1/devices/me/rpc/response/',
});

export interface ThingsBoardOptions {
  /** ThingsBoard's `type_cast_enabled`: numeric strings become numbers. Default true, as in ThingsBoard. */
  typeCast?: boolean;
}

export function decodeThingsBoardTelemetry(payload: Payload, now: number, options?: ThingsBoardOptions): DecodeOutcome {
  const parsed = parseJsonPayload(payload);
  return parsed.ok ? decodeThingsBoardDocument(parsed.value, now, options) : parsed;
}

/** The same for an already parsed document (`POST /api/v1/{device_token}/telemetry`). */
export function decodeThingsBoardDocument(document: unknown, now: number, options?: ThingsBoardOptions): DecodeOutcome {
  const typeCast = options?.typeCast ?? true;
  const sink = new ReadingSink(now, 'skip');
  if (Array.isArray(document)) {
    for (let i = 0; i < document.length; i++) {
      if (!decodeEntry(sink, document[i], `[${i}] `, typeCast)) break;
    }
  } else if (isJsonObject(document)) {
    decodeEntry(sink, document, '', typeCast);
  } else {
    sink.refuse('unsupported', 'telemetry must be a JSON object or an array of objects');
  }
  return sink.outcome();
}

function decodeEntry(sink: ReadingSink, entry: unknown, where: string, typeCast: boolean): boolean {
  if (!isJsonObject(entry)) return sink.refuse('unsupported', `${where}array elements must be JSON objects`);
  if (Object.hasOwn(entry, 'ts') && Object.hasOwn(entry, 'values')) {
    const ts = sink.timestamp(entry.ts, `${where}ts`, false);
    if (ts < 0) return false;
    const values = entry.values;
    if (!isJsonObject(values)) return sink.refuse('invalid_value', `${where}"values" must be a JSON object`);
    return addValues(sink, ts, values, typeCast);
  }
  return addValues(sink, sink.now, entry, typeCast);
}

function addValues(sink: ReadingSink, ts: number, values: Record<string, unknown>, typeCast: boolean): boolean {
  for (const key in values) {
    const value = values[key];
    if (!sink.add(ts, key, typeCast && typeof value === 'string' ? castString(value) : value)) return false;
  }
  return true;
}

/**
 * `v1/devices/me/attributes`: one JSON object of client attributes. Same value rules as telemetry. The map has
 * no prototype, so a key such as "__proto__" is an ordinary attribute.
 */
export function decodeThingsBoardAttributes(payload: Payload, options?: ThingsBoardOptions): AttributesOutcome {
  const parsed = parseJsonPayload(payload);
  if (!parsed.ok) return parsed;
  if (!isJsonObject(parsed.value)) return refuse('unsupported', 'attributes must be a JSON object');
  // Attributes carry no time; the sink only needs a clock for timestamps, which are not read here.
  const sink = new ReadingSink(0, 'skip');
  addValues(sink, 0, parsed.value, options?.typeCast ?? true);
  const outcome = sink.outcome('the message holds no attributes');
  if (!outcome.ok) return outcome;
  const attributes: Record<string, TelemetryValue> = Object.create(null);
  for (const reading of outcome.readings) attributes[reading.key] = reading.value;
  return { ok: true, attributes };
}

/** ThingsBoard's NumberUtils.isParsable: `-?` then digits with at most one `.`, not ending in `.`. */
function castString(s: string): TelemetryValue {
  const n = s.length;
  if (n === 0 || n > TELEMETRY_LIMITS.maxStringLength || s.charCodeAt(n - 1) === 46) return s;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return s;
  let dot = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (dot) return s;
      dot = true;
    } else if (c < 48 || c > 57) {
      return s;
    }
  }
  const value = Number(s);
  if (!Number.isFinite(value)) return s;
  // Integers ThingsBoard would hold as a 64-bit long but a double cannot: keep the exact text instead.
  return !dot && !Number.isSafeInteger(value) ? s : value;
}

export type RpcResponseOutcome = { ok: true; requestId: number; response: JsonValue } | Refusal;

/** The request id in `v1/devices/me/rpc/response/{id}`, or null when the topic is not one. */
export function parseThingsBoardRpcResponseTopic(topic: string): number | null {
  return parseRequestId(topic, THINGSBOARD_TOPICS.rpcResponsePrefix);
}

/**
 * A device's answer to a server-side RPC. ThingsBoard passes the payload through to the caller as is, so any
 * JSON is a valid answer, and a payload that is not JSON is kept as its text.
 */
export function decodeThingsBoardRpcResponse(topic: string, payload: Payload): RpcResponseOutcome {
  const requestId = parseThingsBoardRpcResponseTopic(topic);
  if (requestId === null) return refuse('unsupported', `not a ThingsBoard RPC response topic: ${topic.slice(0, 80)}`);
  const parsed = parseJsonPayload(payload);
  if (parsed.ok) return { ok: true, requestId, response: parsed.value as JsonValue };
  if (parsed.reason === 'empty') return { ok: true, requestId, response: null };
  return { ok: true, requestId, response: payloadText(payload) };
}

/**
 * A server-side RPC as ThingsBoard firmware expects it: topic `v1/devices/me/rpc/request/{id}`, payload
 * `{"method": …, "params": …}` — firmware subscribed to `v1/devices/me/rpc/request/+` answers on
 * `v1/devices/me/rpc/response/{id}`. ThingsBoard always sends `params`; an absent one is `{}`.
 */
export function encodeThingsBoardRpcRequest(
  requestId: number,
  method: string,
  params: JsonValue = {},
): { topic: string; payload: Buffer } {
  return {
    topic: `${THINGSBOARD_TOPICS.rpcRequestPrefix}${requestId}`,
    payload: Buffer.from(JSON.stringify({ method, params })),
  };
}

function parseRequestId(topic: string, prefix: string): number | null {
  if (!topic.startsWith(prefix)) return null;
  const id = topic.slice(prefix.length);
  if (id.length === 0 || id.length > 15) return null;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(id);
}
