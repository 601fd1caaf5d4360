import { isJsonObject, parseJsonPayload, payloadText } from './json-payload.js';
import type { DecodeOutcome, DeviceStatus, Payload, StatusOutcome } from './types.js';
import { refuse } from './types.js';
import { quoteKey, ReadingSink } from './validate.js';

/**
 * Fieldline's own JSON telemetry (`fieldline/devices/{id}/telemetry`, and the HTTP ingest body). Accepted forms,
 * alone or as an array of them:
 *   {"temperature": 28.5, "running": true}                        points at `now`
 *   {"ts": 1698433685000, "values": {"temperature": 28.5}}        points at ts (epoch ms)
 *   {"timestamp": "2026-01-01T00:00:00Z", "values": {…}}          ts as ISO 8601 (or epoch ms)
 * In the flat form `ts`/`timestamp` are read as the time too, not stored as keys: a device writing
 * {"ts": …, "temperature": …} means a timestamped sample. Beside `values` no other key is allowed — it would
 * otherwise be silently lost. Nulls are refused (see NullPolicy).
 */
export function decodeNativeTelemetry(payload: Payload, now: number): DecodeOutcome {
  const parsed = parseJsonPayload(payload);
  return parsed.ok ? decodeNativeDocument(parsed.value, now) : parsed;
}

/** The same, for a document already parsed (an HTTP body). */
export function decodeNativeDocument(document: unknown, now: number): DecodeOutcome {
  const sink = new ReadingSink(now, 'refuse');
  if (Array.isArray(document)) {
    for (let i = 0; i < document.length; i++) {
      if (!decodeEntry(sink, document[i], `[${i}] `)) break;
    }
  } else {
    decodeEntry(sink, document, '');
  }
  return sink.outcome();
}

function decodeEntry(sink: ReadingSink, entry: unknown, where: string): boolean {
  if (!isJsonObject(entry)) {
    return sink.refuse('unsupported', `${where}expected a JSON object of key/value pairs, got ${describe(entry)}`);
  }
  const rawTs = entry.ts;
  const rawTimestamp = entry.timestamp;
  let ts = sink.now;
  if (rawTs !== undefined && rawTimestamp !== undefined) {
    return sink.refuse('bad_timestamp', `${where}both "ts" and "timestamp" are given`);
  }
  if (rawTs !== undefined || rawTimestamp !== undefined) {
    const field = rawTs !== undefined ? 'ts' : 'timestamp';
    ts = sink.timestamp(rawTs !== undefined ? rawTs : rawTimestamp, `${where}${field}`, true);
    if (ts < 0) return false;
  }
  const values = entry.values;
  if (values !== undefined) {
    if (!isJsonObject(values))
      return sink.refuse('invalid_value', `${where}"values" must be an object of key/value pairs`);
    for (const key in entry) {
      if (key !== 'ts' && key !== 'timestamp' && key !== 'values') {
        return sink.refuse('invalid_key', `${where}${quoteKey(key)} beside "values" (put it inside "values")`);
      }
    }
    for (const key in values) {
      if (!sink.add(ts, key, values[key])) return false;
    }
    return true;
  }
  for (const key in entry) {
    if (key === 'ts' || key === 'timestamp') continue;
    if (!sink.add(ts, key, entry[key])) return false;
  }
  return true;
}

/**
 * `fieldline/devices/{id}/status`: {"status": "online"|"offline"}, or the bare word (a Last Will is often
 * configured as plain text), case-insensitive.
 */
export function decodeNativeStatus(payload: Payload): StatusOutcome {
  const text = payloadText(payload);
  const word = statusWord(text.trim());
  if (word !== undefined) return { ok: true, status: word };
  const parsed = parseJsonPayload(payload);
  if (!parsed.ok) return parsed.reason === 'empty' ? parsed : refuse('malformed_json', `status: ${parsed.detail}`);
  const value = parsed.value;
  const status = isJsonObject(value) ? value.status : value;
  const parsedWord = typeof status === 'string' ? statusWord(status) : undefined;
  if (parsedWord !== undefined) return { ok: true, status: parsedWord };
  return refuse('invalid_value', 'status must be "online" or "offline", as {"status": "online"} or the bare word');
}

function statusWord(s: string): DeviceStatus | undefined {
  if (s.length !== 6 && s.length !== 7) return undefined;
  const lower = s.toLowerCase();
  return lower === 'online' || lower === 'offline' ? lower : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}
