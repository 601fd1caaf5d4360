import { isUtf8 } from 'node:buffer';
import { decodeNativeDocument, type Reading, type RefusalReason } from '../../telemetry/codecs/index.js';
import type { IngestAction } from '../types.js';
import { type JsonPath, parseJsonPath, readJsonPath } from './json-path.js';
import { fillTemplate } from './topic-filter.js';

/** One received message as the actions see it; the payload is parsed at most once, when an action asks. */
type Parsed = { ok: true; value: unknown } | { ok: false; detail: string };

export class ReceivedMessage {
  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: number,
    readonly retain: boolean,
    /** Placeholder values of the subscription that matched. */
    readonly values: Record<string, string>,
    readonly receivedAt: number,
    private readonly parsed: { value: Parsed | null } = { value: null },
  ) {}

  /** The same message as another subscription sees it (its own placeholders; the payload parsed once). */
  withValues(values: Record<string, string>): ReceivedMessage {
    return new ReceivedMessage(this.topic, this.payload, this.qos, this.retain, values, this.receivedAt, this.parsed);
  }

  json(): Parsed {
    if (this.parsed.value) return this.parsed.value;
    let result: Parsed;
    if (!isUtf8(this.payload)) result = { ok: false, detail: 'payload is not valid UTF-8' };
    else {
      const text = this.payload.toString('utf8').replace(/^\uFEFF/, '');
      if (text.trim() === '') result = { ok: false, detail: 'empty payload' };
      else {
        try {
          result = { ok: true, value: JSON.parse(text) };
        } catch (err) {
          result = { ok: false, detail: `not JSON: ${(err as Error).message.slice(0, 160)}` };
        }
      }
    }
    this.parsed.value = result;
    return result;
  }

  /** For forwarding: the JSON value when the payload is JSON, else the text, else base64. */
  body(): { payload: unknown; encoding: 'json' | 'text' | 'base64' } {
    const j = this.json();
    if (j.ok) return { payload: j.value, encoding: 'json' };
    if (isUtf8(this.payload)) return { payload: this.payload.toString('utf8'), encoding: 'text' };
    return { payload: this.payload.toString('base64'), encoding: 'base64' };
  }
}

export type MapRefusal = RefusalReason | 'unknown_device' | 'no_device_id';

export type MapOutcome =
  | { ok: true; deviceId: string; readings: Reading[] }
  | { ok: false; reason: MapRefusal; detail: string };

const refuse = (reason: MapRefusal, detail: string): MapOutcome => ({ ok: false, reason, detail });

/**
 * An ingest action compiled once: which device a message is about and which readings it carries. The values
 * go through Fieldline's own JSON codec, so a mapped message meets exactly the limits and checks of a device's
 * own message (keys, strings, nested JSON, timestamps) before anything is stored.
 */
export class IngestMapper {
  private readonly deviceFromPath: JsonPath | null;
  private readonly values: [string, JsonPath][] | null;
  private readonly valuesPath: JsonPath | null;
  private readonly timestampPath: JsonPath | null;

  constructor(readonly action: IngestAction) {
    this.deviceFromPath = action.device_id_path === undefined ? null : parseJsonPath(action.device_id_path);
    this.values =
      action.values === undefined ? null : Object.entries(action.values).map(([k, p]) => [k, parseJsonPath(p)]);
    this.valuesPath = action.values_path === undefined ? null : parseJsonPath(action.values_path);
    this.timestampPath = action.timestamp_path === undefined ? null : parseJsonPath(action.timestamp_path);
  }

  map(message: ReceivedMessage, now: number): MapOutcome {
    const parsed = message.json();
    if (!parsed.ok) return refuse(parsed.detail === 'empty payload' ? 'empty' : 'malformed_json', parsed.detail);
    const device = this.deviceId(message, parsed.value);
    if (!device.ok) return device;
    let doc: unknown;
    if (this.values) {
      const values: Record<string, unknown> = {};
      for (const [key, path] of this.values) {
        const v = readJsonPath(parsed.value, path);
        // A mapped value that is absent (or null) in this message is simply not stored.
        if (v !== undefined && v !== null) values[key] = v;
      }
      if (Object.keys(values).length === 0)
        return refuse('empty', 'none of the mapped values is present in the message');
      doc = { values };
    } else {
      doc = this.valuesPath ? readJsonPath(parsed.value, this.valuesPath) : parsed.value;
      if (doc === undefined) return refuse('empty', `nothing at values_path ${this.action.values_path}`);
      if (this.timestampPath) {
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
          return refuse('unsupported', 'with timestamp_path the values must be a JSON object');
        doc = { values: stripTimeKeys(doc as Record<string, unknown>) };
      }
    }
    if (this.timestampPath) {
      const raw = readJsonPath(parsed.value, this.timestampPath);
      if (raw === undefined || raw === null)
        return refuse('bad_timestamp', `nothing at timestamp_path ${this.action.timestamp_path}`);
      (doc as Record<string, unknown>).ts = this.action.timestamp_unit === 's' ? seconds(raw) : raw;
    }
    const decoded = decodeNativeDocument(doc, now);
    if (!decoded.ok) return refuse(decoded.reason, decoded.detail);
    return { ok: true, deviceId: device.deviceId, readings: decoded.readings };
  }

  private deviceId(
    message: ReceivedMessage,
    doc: unknown,
  ): { ok: true; deviceId: string } | { ok: false; reason: MapRefusal; detail: string } {
    let id: unknown;
    if (this.deviceFromPath) {
      id = readJsonPath(doc, this.deviceFromPath);
      if (typeof id === 'number' && Number.isSafeInteger(id)) id = String(id);
      if (typeof id !== 'string' || id === '')
        return { ok: false, reason: 'no_device_id', detail: `no device id at ${this.action.device_id_path}` };
    } else if (this.action.device_id_topic_level !== undefined) {
      const levels = message.topic.split('/');
      const n = this.action.device_id_topic_level;
      id = levels[n < 0 ? levels.length + n : n];
      if (typeof id !== 'string' || id === '')
        return { ok: false, reason: 'no_device_id', detail: `topic ${message.topic} has no level ${n}` };
    } else {
      const filled = fillTemplate(this.action.device_id ?? '{device_id}', message.values);
      if (!filled.ok)
        return { ok: false, reason: 'no_device_id', detail: `the topic gave no value for {${filled.missing}}` };
      id = filled.text;
    }
    const text = id as string;
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(text))
      return {
        ok: false,
        reason: 'no_device_id',
        detail: `${JSON.stringify(text.slice(0, 60))} is not a device id (letters, digits, . _ : -, max 128)`,
      };
    return { ok: true, deviceId: text };
  }
}

function seconds(raw: unknown): unknown {
  if (typeof raw === 'number') return Math.round(raw * 1000);
  if (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  return raw;
}

/** With a timestamp taken from elsewhere, `ts`/`timestamp` keys of the values are not values. */
function stripTimeKeys(values: Record<string, unknown>): Record<string, unknown> {
  if (!('ts' in values) && !('timestamp' in values)) return values;
  const { ts: _ts, timestamp: _timestamp, ...rest } = values;
  return rest;
}
