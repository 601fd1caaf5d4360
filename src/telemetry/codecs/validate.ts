import { TELEMETRY_LIMITS } from './limits.js';
import { readTimestamp, timestampProblem } from './timestamps.js';
import type { DecodeOutcome, JsonObjectOrArray, Reading, Refusal, RefusalReason, TelemetryValue } from './types.js';
import { refuse } from './types.js';

/**
 * What a codec does with a JSON `null` value.
 * - `refuse` (Fieldline's own formats): a null is ambiguous — "no reading", "clear the value", or a firmware
 *   bug printing an unset variable. Storing nothing silently would hide the bug, storing null would break every
 *   numeric consumer, so the message is refused with `invalid_value` naming the key; the device's last error
 *   then shows it, and the device can simply omit keys it has nothing for.
 * - `skip`: ThingsBoard drops null values and keeps the rest of the message; firmware written for it relies on
 *   that, so the ThingsBoard codec does the same. Sparkplug's `is_null` is a protocol state ("no current value")
 *   and is skipped as well.
 */
export type NullPolicy = 'refuse' | 'skip';

const { maxKeyLength, maxStringLength, maxJsonDepth, maxJsonBytes, maxPointsPerMessage } = TELEMETRY_LIMITS;

/**
 * Collects the readings of one message and stops at the first problem: a message is stored whole or refused
 * whole, so a device never ends up with half of a sample. Codecs call `add` per point and return `outcome()`.
 */
export class ReadingSink {
  readonly readings: Reading[] = [];
  private refusal: Refusal | undefined;

  constructor(
    readonly now: number,
    private readonly nulls: NullPolicy,
  ) {}

  get failed(): boolean {
    return this.refusal !== undefined;
  }

  /** Records the message's refusal (the first one wins) and answers false so callers can `return sink.refuse(…)`. */
  refuse(reason: RefusalReason, detail: string): false {
    this.refusal ??= refuse(reason, detail);
    return false;
  }

  /**
   * Reads and checks a timestamp field; answers epoch ms, or -1 after recording a `bad_timestamp` refusal.
   * Fractional milliseconds are floored: storage keeps integer milliseconds.
   */
  timestamp(raw: unknown, field: string, allowIso: boolean): number {
    const ts = readTimestamp(raw, allowIso);
    const problem = Number.isNaN(ts)
      ? `cannot read ${describeRaw(raw)} as ${allowIso ? 'epoch milliseconds or an ISO 8601 time' : 'epoch milliseconds'}`
      : timestampProblem(ts, this.now);
    if (problem !== undefined) {
      this.refuse('bad_timestamp', `${field}: ${problem}`);
      return -1;
    }
    return Math.floor(ts);
  }

  /**
   * Checks one point and keeps it; answers false once the message is refused. `ts` must already be checked.
   * A number beyond ±2^53 is refused unless `floatingPoint` says it comes from a floating-point type (Sparkplug
   * Float/Double), where magnitude costs no exactness: in JSON it may be an integer (a 64-bit counter) that
   * parsing has already rounded. `keyChecked` skips the key check for keys validated once and reused
   * (Sparkplug metrics, checked at birth).
   */
  add(ts: number, key: string, value: unknown, floatingPoint = false, keyChecked = false): boolean {
    if (!keyChecked) {
      const keyIssue = keyProblem(key);
      if (keyIssue !== undefined) return this.refuse('invalid_key', keyIssue);
    }
    switch (typeof value) {
      case 'number':
        if (!Number.isFinite(value))
          return this.refuse('invalid_value', `${quoteKey(key)}: ${value} is not a finite number`);
        if (!floatingPoint && Number.isInteger(value) && !Number.isSafeInteger(value)) {
          return this.refuse(
            'invalid_value',
            `${quoteKey(key)}: ${value} is beyond ±2^53 and cannot be stored exactly`,
          );
        }
        return this.push(ts, key, value === 0 ? 0 : value); // -0 → 0
      case 'boolean':
        return this.push(ts, key, value);
      case 'string': {
        const issue = stringProblem(value);
        return issue === undefined
          ? this.push(ts, key, value)
          : this.refuse('invalid_value', `${quoteKey(key)}: ${issue}`);
      }
      case 'object': {
        if (value === null) {
          return (
            this.nulls === 'skip' ||
            this.refuse('invalid_value', `${quoteKey(key)}: null is not a value (omit the key instead)`)
          );
        }
        const issue = nestedJsonProblem(value);
        return issue === undefined
          ? this.push(ts, key, value as JsonObjectOrArray)
          : this.refuse('invalid_value', `${quoteKey(key)}: ${issue}`);
      }
      default:
        return this.refuse('invalid_value', `${quoteKey(key)}: ${typeof value} is not a telemetry value`);
    }
  }

  /** The message's verdict: its readings, the first refusal, or `empty` when nothing was found. */
  outcome(emptyDetail = 'the message holds no values'): DecodeOutcome {
    if (this.refusal !== undefined) return this.refusal;
    if (this.readings.length === 0) return refuse('empty', emptyDetail);
    return { ok: true, readings: this.readings };
  }

  private push(ts: number, key: string, value: TelemetryValue): boolean {
    if (this.readings.length >= maxPointsPerMessage) {
      return this.refuse('too_many_points', `more than ${maxPointsPerMessage} points in one message`);
    }
    this.readings.push({ ts, key, value });
    return true;
  }
}

/** Why `key` cannot name a telemetry series, or undefined. One pass over char codes, no regex. */
export function keyProblem(key: string): string | undefined {
  const n = key.length;
  if (n === 0) return 'empty key';
  if (n > maxKeyLength) return `${quoteKey(key)} is longer than ${maxKeyLength} characters`;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return `${quoteKey(key)} contains a control character`;
    if (c === 0x2f || c === 0x2b || c === 0x23) {
      return `${quoteKey(key)} contains '${String.fromCharCode(c)}' (keys may not contain /, + or #)`;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = key.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return `${quoteKey(key)} is not well-formed Unicode`;
      i++;
    }
  }
  return undefined;
}

/**
 * Why a string cannot be stored, or undefined. NUL is refused because PostgreSQL `text` and `jsonb` cannot hold
 * it — it would fail the whole group-commit transaction, not just this message — and lone surrogates because
 * they cannot be encoded as UTF-8.
 */
export function stringProblem(s: string): string | undefined {
  if (s.length > maxStringLength) return `string of ${s.length} characters is longer than ${maxStringLength}`;
  if (s.indexOf('\u0000') !== -1) return 'string contains a NUL character';
  if (!isWellFormed(s)) return 'string is not well-formed Unicode';
  return undefined;
}

// Walk state for nestedJsonProblem: a lower bound of the serialized size, kept in a module variable so the walk
// allocates nothing.
let sizeLowerBound = 0;

/**
 * Why an object or array cannot be stored as a nested JSON value, or undefined: plain JSON only, at most
 * `maxJsonDepth` levels, at most `maxJsonBytes` when serialized (UTF-8), and no value storage cannot hold.
 * The walk keeps a lower bound of the serialized size and gives up early; only when the bound cannot prove the
 * value small enough does it serialize once to measure exactly.
 */
export function nestedJsonProblem(value: object): string | undefined {
  sizeLowerBound = 0;
  const issue = containerProblem(value, 1);
  if (issue !== undefined) return issue;
  // Each counted character serializes to at most 6 bytes (`\u001f`), so small values need no serialization.
  if (sizeLowerBound * 6 <= maxJsonBytes) return undefined;
  if (sizeLowerBound > maxJsonBytes || Buffer.byteLength(JSON.stringify(value)) > maxJsonBytes) {
    return `nested JSON is larger than ${maxJsonBytes / 1024} KB`;
  }
  return undefined;
}

function containerProblem(value: object, depth: number): string | undefined {
  if (depth > maxJsonDepth) return `nested JSON is deeper than ${maxJsonDepth} levels`;
  if (Array.isArray(value)) {
    sizeLowerBound += value.length + 1; // brackets and commas
    for (let i = 0; i < value.length; i++) {
      const issue = elementProblem(value[i], depth);
      if (issue !== undefined) return issue;
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return 'nested value is not plain JSON';
    sizeLowerBound += 2;
    for (const k in value) {
      sizeLowerBound += k.length + 4; // quotes, colon, comma
      if (k.indexOf('\u0000') !== -1 || !isWellFormed(k)) return 'nested JSON has a key storage cannot hold';
      const issue = elementProblem((value as Record<string, unknown>)[k], depth);
      if (issue !== undefined) return issue;
    }
  }
  if (sizeLowerBound > maxJsonBytes) return `nested JSON is larger than ${maxJsonBytes / 1024} KB`;
  return undefined;
}

function elementProblem(e: unknown, depth: number): string | undefined {
  switch (typeof e) {
    case 'string':
      sizeLowerBound += e.length + 2;
      return e.indexOf('\u0000') !== -1 || !isWellFormed(e)
        ? 'nested JSON has a string storage cannot hold'
        : undefined;
    case 'number':
      sizeLowerBound += 1;
      if (!Number.isFinite(e)) return `nested JSON holds ${e}`;
      return Number.isInteger(e) && !Number.isSafeInteger(e) ? `nested JSON holds ${e}, beyond ±2^53` : undefined;
    case 'boolean':
      sizeLowerBound += 4;
      return undefined;
    case 'object':
      if (e === null) {
        sizeLowerBound += 4;
        return undefined;
      }
      return containerProblem(e, depth + 1);
    default:
      return `nested JSON holds ${typeof e}`;
  }
}

// String.prototype.isWellFormed is native in Node 20 (ES2024); the project's lib setting stops at ES2023.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** `key 'name'` for details, shortened and escaped so a hostile key cannot flood or garble a log line. */
export function quoteKey(key: string): string {
  const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return `key ${JSON.stringify(shown).replaceAll('"', "'")}`;
}

function describeRaw(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
  if (raw === null || typeof raw !== 'object') return String(raw);
  return Array.isArray(raw) ? 'an array' : 'an object';
}
