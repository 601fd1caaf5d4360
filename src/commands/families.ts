import {
  decodeThingsBoardRpcResponse,
  type JsonValue,
  type Payload,
  THINGSBOARD_TOPICS,
} from '../telemetry/codecs/index.js';

/**
 * How a command looks in each topic family, and how a device's answer is read. Pure functions: the
 * CommandService decides when to send and what state follows.
 */

/** The family a command goes out over: the one the device last spoke (devices.protocol), native by default. */
export type CommandFamily = 'native' | 'thingsboard' | 'sparkplug';

export const familyOf = (protocol: string | null): CommandFamily =>
  protocol === 'thingsboard' || protocol === 'sparkplug' ? protocol : 'native';

/** What a device's answer means for its command. */
export interface CommandAnswer {
  status: 'succeeded' | 'failed';
  response: JsonValue;
  error: string | null;
}

/** Native down-link payload on `{prefix}/devices/{id}/commands/{command_id}`. */
export const nativeCommandPayload = (id: string, name: string, params: JsonValue): Buffer =>
  Buffer.from(JSON.stringify({ id, name, params }));

/**
 * A native answer on `…/commands/{command_id}/response`: the envelope `{"status": "ok"|"error", "result"?,
 * "error"?}` decides success and carries the result; any other JSON is the result itself (success); a payload
 * that is not JSON is kept as text, so nothing a device says is lost.
 */
export function readNativeAnswer(payload: Payload): CommandAnswer {
  const value = parsed(payload);
  if (isObject(value) && (value.status === 'ok' || value.status === 'error')) {
    const result = (value.result ?? null) as JsonValue;
    if (value.status === 'ok') return { status: 'succeeded', response: result, error: null };
    const error = value.error ?? 'the device reported an error';
    return {
      status: 'failed',
      response: result,
      error: (typeof error === 'string' ? error : JSON.stringify(error)).slice(0, 1000),
    };
  }
  return { status: 'succeeded', response: value, error: null };
}

/**
 * ThingsBoard RPC: firmware answers with any JSON (ThingsBoard passes it to the caller as is), so every answer
 * is a success carrying that JSON.
 */
export function readThingsBoardAnswer(requestId: number, payload: Payload): CommandAnswer {
  const decoded = decodeThingsBoardRpcResponse(`${THINGSBOARD_TOPICS.rpcResponsePrefix}${requestId}`, payload);
  return { status: 'succeeded', response: decoded.ok ? decoded.response : null, error: null };
}

/**
 * The numeric request id of a command in `v1/devices/me/rpc/request/{n}`. ThingsBoard firmware parses n as an
 * integer (often 32-bit), so the UUID cannot be sent; n is a hash of the command id (FNV-1a, 31 bits) rather
 * than a counter, so the mapping n ↔ command needs no column and survives a restart: it is recomputed from
 * the outstanding commands. Collisions among one device's outstanding commands are avoided when the id is
 * chosen (CommandService draws another id).
 */
export function rpcRequestId(commandId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < commandId.length; i++) {
    h ^= commandId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x7fffffff || 1;
}

/** A Sparkplug metric write. */
export interface MetricWrite {
  metric: string;
  value: number | boolean | string;
}

/**
 * Sparkplug commands write metrics (§6.4.23/24 NCMD/DCMD). `{"name": "Outputs/Valve", "params": {"value":
 * true}}` writes one metric named by the command; `"params": {"metrics": {"A": 1, "B": false}}` writes
 * several at once (the name is then only a label).
 */
export function sparkplugWrites(
  name: string,
  params: JsonValue,
): { ok: true; writes: MetricWrite[] } | { ok: false; error: string } {
  if (isObject(params) && isObject(params.metrics)) {
    const writes: MetricWrite[] = [];
    for (const [metric, value] of Object.entries(params.metrics)) {
      if (!isScalar(value))
        return {
          ok: false,
          error: `metric ${JSON.stringify(metric)}: a Sparkplug write needs a number, boolean or string`,
        };
      writes.push({ metric, value });
    }
    if (writes.length === 0) return { ok: false, error: 'params.metrics is empty' };
    return { ok: true, writes };
  }
  if (isObject(params) && 'value' in params) {
    const value = params.value;
    if (!isScalar(value)) return { ok: false, error: 'params.value must be a number, boolean or string' };
    return { ok: true, writes: [{ metric: name, value }] };
  }
  return {
    ok: false,
    error: 'a Sparkplug command needs params.value (writes the metric named by the command) or params.metrics',
  };
}

function parsed(payload: Payload): JsonValue {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text.slice(0, 10_000);
  }
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is number | boolean | string =>
  typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
