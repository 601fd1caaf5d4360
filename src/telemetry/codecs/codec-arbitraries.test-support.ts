/**
 * fast-check generators shared by the codec tests: valid keys, values and timestamps, built independently of
 * the validator they test (an explicit character class, not keyProblem).
 */
import fc from 'fast-check';
import { TELEMETRY_LIMITS } from './limits.js';
import type { DecodeOutcome, JsonValue, RefusalReason, TelemetryValue } from './types.js';

export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const RESERVED = new Set(['ts', 'timestamp', 'values']);
const forbiddenInKey = (k: string): boolean =>
  [...k].some((ch) => {
    const c = ch.codePointAt(0) ?? 0;
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || ch === '/' || ch === '+' || ch === '#';
  });

/** Keys any codec accepts: 1–40 graphemes, no control characters, no `/ + #`, not a reserved field name. */
export const validKey = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((k) => k.length <= TELEMETRY_LIMITS.maxKeyLength && !forbiddenInKey(k) && !RESERVED.has(k));

const storableString = fc
  .string({ unit: 'grapheme', maxLength: 60 })
  .filter((s) => !s.includes('\u0000') && s.length <= TELEMETRY_LIMITS.maxStringLength);

const safeNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -(2 ** 53 - 1), max: 2 ** 53 - 1 }),
  fc.integer(),
  fc.maxSafeInteger(),
);

// Valid means at most 8 levels of nesting (validate.ts): validValue adds one container, so at most 6 recursions
// here (the 7th level is always the first branch, null). Without the bound, a rare seed went deeper and the
// codecs rightly refused it.
const nestedJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 6, depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    safeNumber,
    storableString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(storableString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Values every codec stores as given (numbers, booleans, strings, small nested JSON). */
export const validValue: fc.Arbitrary<TelemetryValue> = fc.oneof(
  safeNumber,
  fc.boolean(),
  storableString,
  fc.array(nestedJson, { maxLength: 4 }),
  fc.dictionary(storableString, nestedJson, { maxKeys: 4 }),
);

/**
 * A telemetry value after storage normalization: -0 is stored as 0, and nested JSON is what its JSON text says
 * (JSON has no -0: `[-0]` is sent as `[0]`; a rare seed drew one and the codec tests failed on it).
 */
export function stored(value: TelemetryValue): TelemetryValue {
  if (typeof value === 'number') return value === 0 ? 0 : value;
  return typeof value === 'object' && value !== null ? (JSON.parse(JSON.stringify(value)) as TelemetryValue) : value;
}

export const validValues = fc.dictionary(validKey, validValue, { minKeys: 1, maxKeys: 8 });

export const validTimestamp = fc.integer({
  min: TELEMETRY_LIMITS.minTimestamp,
  max: NOW + TELEMETRY_LIMITS.maxFutureMs,
});

const REASONS: ReadonlySet<RefusalReason> = new Set([
  'malformed_json',
  'malformed_protobuf',
  'invalid_value',
  'invalid_key',
  'bad_timestamp',
  'empty',
  'too_many_points',
  'unsupported',
]);

/** What every outcome must look like, whatever the input: readings, or one known refusal with a detail. */
export function isWellFormedOutcome(outcome: DecodeOutcome): boolean {
  if (!outcome.ok)
    return REASONS.has(outcome.reason) && typeof outcome.detail === 'string' && outcome.detail.length > 0;
  return outcome.readings.length > 0 && outcome.readings.every((r) => Number.isInteger(r.ts) && r.key.length > 0);
}
