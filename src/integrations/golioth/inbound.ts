/**
 * What Golioth sends to a webhook, read into one event. Two shapes are documented:
 *
 * - Pipelines, webhook destination (https://docs.golioth.io/data-routing/destinations/webhook): the body is the
 *   device's data as is; `Ce-Source` is the device id, `Ce-Subject` the project id, `Ce-Type` the prefixed
 *   LightDB Stream path (`io.golioth.data.v1/.s/sensor` for `/sensor`), Content-Type the data's type.
 * - Output Streams, webhook (https://docs.golioth.io/cloud/output-streams/webhook/, the older mechanism):
 *   CloudEvents in binary mode, `Ce-Subject` the event type (`stream`, `lightdb` for LightDB State changes), and a
 *   body `{data, device_id, project_id, timestamp: {seconds, nanos}}`.
 */

export interface GoliothEvent {
  kind: 'stream' | 'state';
  deviceId: string;
  projectId: string | null;
  /** LightDB path the data was written to, `/` when not told. */
  path: string;
  data: unknown;
  /** Epoch ms; null when Golioth gave none (the receipt time is used). */
  ts: number | null;
  format: 'pipelines' | 'output_stream';
}

export type InboundOutcome = { ok: true; event: GoliothEvent } | { ok: false; detail: string };

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | null => {
  const v = headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readGoliothEvent(
  headers: Record<string, string | string[] | undefined>,
  body: unknown,
): InboundOutcome {
  const ceType = header(headers, 'ce-type');
  const ceSource = header(headers, 'ce-source');
  const ceSubject = header(headers, 'ce-subject');
  const ceTime = header(headers, 'ce-time');
  if (isObject(body) && typeof body.device_id === 'string' && 'data' in body) {
    const subject = (ceSubject ?? ceType ?? '').toLowerCase();
    return {
      ok: true,
      event: {
        kind: subject.includes('lightdb') || subject.includes('state') ? 'state' : 'stream',
        deviceId: body.device_id,
        projectId: typeof body.project_id === 'string' ? body.project_id : null,
        path: '/',
        data: body.data,
        ts: timestampOf(body.timestamp) ?? isoOf(ceTime),
        format: 'output_stream',
      },
    };
  }
  if (ceSource && ceType) {
    // io.golioth.data.v1/.s/sensor → stream at /sensor; other prefixes than .s are taken as LightDB State.
    const slash = ceType.indexOf('/');
    const rest = slash === -1 ? '' : ceType.slice(slash + 1);
    const [marker = '', ...segments] = rest.split('/');
    return {
      ok: true,
      event: {
        kind: marker === '' || marker === '.s' ? 'stream' : 'state',
        deviceId: ceSource,
        projectId: ceSubject,
        path: `/${segments.filter(Boolean).join('/')}`,
        data: body,
        ts: isoOf(ceTime),
        format: 'pipelines',
      },
    };
  }
  return {
    ok: false,
    detail:
      'not a Golioth event: expected a Pipelines webhook (headers Ce-Source, Ce-Subject, Ce-Type) or an Output Stream event {device_id, data, …}',
  };
}

function timestampOf(t: unknown): number | null {
  if (isObject(t) && (typeof t.seconds === 'number' || typeof t.seconds === 'string')) {
    const ms = Number(t.seconds) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
    return Number.isFinite(ms) ? ms : null;
  }
  if (typeof t === 'string') return isoOf(t);
  return null;
}

function isoOf(v: string | null | unknown): number | null {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The event's data as telemetry values: nested objects become dotted keys (`{"env": {"temp": 21}}` →
 * `env.temp`), arrays stay JSON values, nulls are skipped. With `prefixPath` the LightDB path leads the keys
 * (`/sensor` + `temp` → `sensor.temp`); a bare value written to a path takes the path as its key.
 */
export function eventValues(event: GoliothEvent, prefixPath: boolean): Record<string, unknown> {
  const pathKey = event.path.split('/').filter(Boolean).join('.');
  const prefix = prefixPath ? pathKey : '';
  const out: Record<string, unknown> = {};
  if (!isObject(event.data)) {
    if (event.data !== null && event.data !== undefined && pathKey) out[pathKey] = event.data;
    return out;
  }
  flatten(event.data, prefix, out, 0);
  return out;
}

function flatten(value: Record<string, unknown>, prefix: string, out: Record<string, unknown>, depth: number): void {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null || v === undefined) continue;
    if (isObject(v) && depth < 6) flatten(v, key, out, depth + 1);
    else out[key] = v;
  }
}
