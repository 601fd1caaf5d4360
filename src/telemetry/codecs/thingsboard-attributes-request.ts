import { isJsonObject, parseJsonPayload } from './json-payload.js';
import type { Payload, Refusal } from './types.js';
import { refuse } from './types.js';

/** ThingsBoard's attribute request topic: `v1/devices/me/attributes/request/{request_id}`. */
export const ATTRIBUTES_REQUEST_PREFIX = 'v1/devices/me/attributes/request/';
/** Where the answer goes; the device subscribes to `v1/devices/me/attributes/response/+` first. */
export const ATTRIBUTES_RESPONSE_PREFIX = 'v1/devices/me/attributes/response/';

/** Which attributes a device asks for: a list of keys, or null for all of that scope. */
export interface AttributesRequest {
  ok: true;
  clientKeys: string[] | null;
  sharedKeys: string[] | null;
}

/**
 * A device asking for its attributes, as ThingsBoard's device API has it: `{"clientKeys": "a,b", "sharedKeys":
 * "c"}` (comma-separated strings; arrays of strings are taken too). Naming neither scope (an empty object or
 * an empty payload) asks for everything of both; naming one asks for that scope only.
 */
export function decodeAttributesRequest(payload: Payload): AttributesRequest | Refusal {
  const parsed = parseJsonPayload(payload);
  if (!parsed.ok) return parsed.reason === 'empty' ? { ok: true, clientKeys: null, sharedKeys: null } : parsed;
  if (!isJsonObject(parsed.value)) return refuse('unsupported', 'an attribute request must be a JSON object');
  const client = keysOf(parsed.value.clientKeys, 'clientKeys');
  if (client !== undefined && !Array.isArray(client)) return client;
  const shared = keysOf(parsed.value.sharedKeys, 'sharedKeys');
  if (shared !== undefined && !Array.isArray(shared)) return shared;
  if (client === undefined && shared === undefined) return { ok: true, clientKeys: null, sharedKeys: null };
  return { ok: true, clientKeys: client ?? [], sharedKeys: shared ?? [] };
}

function keysOf(value: unknown, field: string): string[] | Refusal | undefined {
  if (value === undefined || value === null) return undefined;
  const keys = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    return refuse('unsupported', `${field} must be a comma-separated string or an array of strings`);
  return keys.map((k) => k.trim()).filter((k) => k.length > 0);
}

/** The answer ThingsBoard sends: `{"client": {…}, "shared": {…}}`, each scope only when it was asked for. */
export function attributesAnswer(
  request: AttributesRequest,
  client: Record<string, unknown>,
  shared: Record<string, unknown>,
): Record<string, Record<string, unknown>> {
  const pick = (all: Record<string, unknown>, keys: string[] | null) =>
    keys === null ? { ...all } : Object.fromEntries(keys.filter((k) => Object.hasOwn(all, k)).map((k) => [k, all[k]]));
  const everything = request.clientKeys === null && request.sharedKeys === null;
  const answer: Record<string, Record<string, unknown>> = {};
  if (everything || (request.clientKeys?.length ?? 0) > 0) answer.client = pick(client, request.clientKeys);
  if (everything || (request.sharedKeys?.length ?? 0) > 0) answer.shared = pick(shared, request.sharedKeys);
  return answer;
}
