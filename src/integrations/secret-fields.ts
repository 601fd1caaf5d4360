import { invalid } from '../kernel/index.js';
import type { IntegrationType } from './types.js';

/** What every response shows instead of a secret; sent back in a PATCH it means "keep the stored value". */
export const MASK = '***';

type Json = Record<string, unknown>;
/** true: the value at this key is secret; '*': every value of this object is; an object: look inside. */
type SecretSpec = { [key: string]: true | '*' | SecretSpec };

const SPECS: Record<IntegrationType, SecretSpec> = {
  mqtt: { broker: { password: true, client_key: true, client_key_passphrase: true } },
  // Header values may carry credentials; their names stay visible (as notifications do for webhook targets).
  webhook: { headers: '*', auth: { token: true, key: true } },
  golioth: { api_key: true, webhook_secret: true },
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits a full configuration into what may be stored and shown, and the secrets (same shape, sealed). */
export function splitSecrets(type: IntegrationType, config: Json): { shown: Json; secrets: Json | null } {
  const [shown, secrets] = split(config, SPECS[type]);
  return { shown, secrets: Object.keys(secrets).length ? secrets : null };
}

function split(value: Json, spec: SecretSpec | '*'): [Json, Json] {
  const shown: Json = {};
  const secrets: Json = {};
  for (const [key, v] of Object.entries(value)) {
    const rule = spec === '*' ? true : spec[key];
    if (rule === true && v !== undefined && v !== null && typeof v !== 'object') secrets[key] = v;
    else if ((rule === '*' || isObject(rule)) && isObject(v)) {
      const [s, x] = split(v, rule);
      shown[key] = s;
      if (Object.keys(x).length) secrets[key] = x;
    } else shown[key] = v;
  }
  return [shown, secrets];
}

/** The full configuration again: the shown part with the secrets put back. */
export function joinSecrets(shown: Json, secrets: Json | null): Json {
  if (!secrets) return shown;
  const out: Json = { ...shown };
  for (const [key, v] of Object.entries(secrets))
    out[key] = isObject(v) && isObject(out[key]) ? joinSecrets(out[key] as Json, v) : v;
  return out;
}

/** The shown part with *** where a secret is stored. */
export function maskSecrets(shown: Json, secrets: Json | null): Json {
  if (!secrets) return shown;
  const out: Json = { ...shown };
  for (const [key, v] of Object.entries(secrets))
    out[key] = isObject(v) ? maskSecrets(isObject(out[key]) ? (out[key] as Json) : {}, v) : MASK;
  return out;
}

/** Every secret value of a configuration (to scrub them out of error texts). */
export function secretValues(secrets: Json | null): string[] {
  if (!secrets) return [];
  return Object.values(secrets).flatMap((v) => (isObject(v) ? secretValues(v) : typeof v === 'string' ? [v] : []));
}

/**
 * RFC 7396 JSON Merge Patch of a configuration: objects merge key by key, null removes a key, anything else
 * replaces. A `***` value keeps what is stored (so a form that got masked values back can be sent as is).
 * A payload template is a JSON document of its own, so it is replaced whole, nulls and all.
 */
export function mergePatch(target: Json, patch: Json, path = 'config'): Json {
  const out: Json = { ...target };
  for (const [key, v] of Object.entries(patch)) {
    if (v === MASK) {
      if (out[key] === undefined)
        throw invalid(`${path}.${key}`, `"${MASK}" keeps a stored secret, and none is stored`);
      continue;
    }
    if (v === null) delete out[key];
    else if (key === 'payload_template') out[key] = v;
    else if (isObject(v) && isObject(out[key])) out[key] = mergePatch(out[key] as Json, v, `${path}.${key}`);
    else if (isObject(v)) out[key] = mergePatch({}, v, `${path}.${key}`);
    else out[key] = v;
  }
  return out;
}
