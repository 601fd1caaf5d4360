import { type Static, Type } from 'typebox';
import { principalOf } from '../auth/index.js';
import type { DeviceRegistry } from '../devices/index.js';
import { Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { FieldlineError, invalid, notFound } from '../kernel/index.js';
import { decodeNativeDocument } from './codecs/native.js';
import { decodeThingsBoardAttributes, decodeThingsBoardDocument } from './codecs/thingsboard.js';
import type { Refusal } from './codecs/types.js';
import type { IngestService } from './ingest.js';
import { type Aggregate, type Point, parseInterval, type TelemetryQuery } from './query.js';

export interface TelemetryRouteDeps {
  ingest: IngestService;
  registry: DeviceRegistry;
  query: TelemetryQuery;
}

const DAY_MS = 86_400_000;
const MAX_POINTS = 100_000;

const refused = (r: Refusal) =>
  new FieldlineError('FIELDLINE_ERR_VALIDATION', `Telemetry refused (${r.reason}): ${r.detail}`, {
    errors: [{ field: 'data', message: `${r.reason}: ${r.detail}` }],
  });

const TimeParam = Type.Union([Type.String({ maxLength: 40 }), Type.Integer()]);

function parseTime(name: string, raw: string | number | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(n)) throw invalid(name, 'must be ISO 8601 or epoch milliseconds');
  return n;
}

/** The answer of `…/latest`, for OpenAPI and a compiled serializer. */
const LatestView = Type.Object({
  device_id: Type.String(),
  values: Type.Record(Type.String(), Type.Object({ ts: Type.String(), value: Type.Unknown() })),
});

/** Latest values as answered (JSON), by the object the latest cache holds (see the route). */
const renderedLatest = new WeakMap<Record<string, Point>, string>();

const iso = (points: Record<string, Point[]>) =>
  Object.fromEntries(
    Object.entries(points).map(([k, ps]) => [k, ps.map((p) => ({ ts: new Date(p.ts).toISOString(), value: p.value }))]),
  );

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** HTTP ingest (user token / API key, and ThingsBoard-style device token in the path) and queries. */
export function registerTelemetryRoutes(app: Http, deps: TelemetryRouteDeps): void {
  const { ingest, registry, query } = deps;

  app.post(
    '/api/v1/telemetry',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['telemetry'],
        body: Strict({
          device_id: Type.String({ minLength: 1, maxLength: 128 }),
          data: Type.Record(Type.String(), Type.Unknown()),
          timestamp: Type.Optional(TimeParam),
        }),
        response: { 200: Type.Object({ device_id: Type.String(), accepted: Type.Integer() }) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const device = await registry.byDeviceId(request.body.device_id);
      if (!device || device.organizationId !== p.organizationId) throw notFound('device', request.body.device_id);
      if (!device.active) throw new FieldlineError('FIELDLINE_ERR_CONFLICT', `Device '${device.id}' is inactive`);
      const { timestamp, data } = request.body;
      const decoded = decodeNativeDocument(
        timestamp === undefined ? data : { ts: timestamp, values: data },
        Date.now(),
      );
      if (!decoded.ok) {
        ingest.refuseDecoded(device, decoded);
        throw refused(decoded);
      }
      await ingest.ingest(device, decoded.readings, 'http');
      return { device_id: device.id, accepted: decoded.readings.length };
    },
  );

  const deviceByToken = async (token: string) => {
    const device = await registry.byAccessToken(token);
    if (!device) {
      ingest.refuse(null, 'unknown_device', 'unknown or inactive access token');
      throw new FieldlineError('FIELDLINE_ERR_UNAUTHENTICATED', 'Unknown or inactive device access token');
    }
    return device;
  };

  // ThingsBoard's device HTTP API: existing firmware posts here with its access token in the path.
  app.post(
    '/api/v1/:token/telemetry',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['telemetry'],
        security: [],
        params: Type.Object({ token: Type.String({ maxLength: 200 }) }),
        body: Type.Unknown(),
      },
    },
    async (request) => {
      const device = await deviceByToken(request.params.token);
      const decoded = decodeThingsBoardDocument(request.body, Date.now());
      if (!decoded.ok) {
        ingest.refuseDecoded(device, decoded);
        throw refused(decoded);
      }
      await ingest.ingest(device, decoded.readings, 'thingsboard');
      return { device_id: device.id, accepted: decoded.readings.length };
    },
  );

  app.post(
    '/api/v1/:token/attributes',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['telemetry'],
        security: [],
        params: Type.Object({ token: Type.String({ maxLength: 200 }) }),
        body: Type.Unknown(),
      },
    },
    async (request) => {
      const device = await deviceByToken(request.params.token);
      const decoded = decodeThingsBoardAttributes(JSON.stringify(request.body));
      if (!decoded.ok) {
        ingest.refuseDecoded(device, decoded);
        throw refused(decoded);
      }
      await registry.mergeAttributes(device.id, decoded.attributes);
      return { device_id: device.id, accepted: Object.keys(decoded.attributes).length };
    },
  );

  app.get(
    '/api/v1/telemetry/:device_id',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['telemetry'],
        params: Type.Object({ device_id: Type.String({ maxLength: 128 }) }),
        querystring: Type.Object({
          start: Type.Optional(TimeParam),
          end: Type.Optional(TimeParam),
          keys: Type.Optional(Type.String({ maxLength: 4000 })),
          agg: Type.Optional(Type.Union(['avg', 'min', 'max', 'sum', 'count'].map((a) => Type.Literal(a)))),
          interval: Type.Optional(Type.String({ maxLength: 20 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_POINTS })),
        }),
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const device = await registry.get(p, request.params.device_id);
      const q = request.query;
      const end = parseTime('end', q.end, Date.now());
      const start = parseTime('start', q.start, end - DAY_MS);
      if (start >= end) throw invalid('start', 'must be before end');
      const keys = q.keys
        ? q.keys
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean)
        : null;
      const range = { deviceId: device.id, keys, start, end, limit: q.limit ?? 10_000 };
      let series: Record<string, Point[]>;
      if (q.agg) {
        const interval = q.interval === undefined ? end - start : parseInterval(q.interval);
        if (interval === null) throw invalid('interval', 'must be a duration like 60s, 5m, 1h or 1d');
        if ((end - start) / interval > MAX_POINTS)
          throw invalid('interval', `gives more than ${MAX_POINTS} buckets for this range`);
        series = await query.aggregate(range, q.agg as Aggregate, interval);
      } else {
        if (q.interval !== undefined) throw invalid('interval', 'needs agg');
        series = await query.range(range);
      }
      if ((request.headers.accept ?? '').includes('text/csv')) {
        const lines = ['device_id,key,ts,value'];
        for (const [key, points] of Object.entries(series)) {
          for (const pt of points)
            lines.push([device.id, key, new Date(pt.ts).toISOString(), pt.value].map(csvCell).join(','));
        }
        return reply.type('text/csv; charset=utf-8').send(`${lines.join('\n')}\n`);
      }
      return { device_id: device.id, series: iso(series) };
    },
  );

  app.get(
    '/api/v1/telemetry/:device_id/latest',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['telemetry'],
        params: Type.Object({ device_id: Type.String({ maxLength: 128 }) }),
        querystring: Type.Object({ keys: Type.Optional(Type.String({ maxLength: 4000 })) }),
        response: { 200: LatestView },
      },
    },
    async (request, reply) => {
      const device = await registry.get(principalOf(request), request.params.device_id);
      const keys = request.query.keys
        ? request.query.keys
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean)
        : null;
      const latest = await query.latest(device.id, keys);
      // The cache answers the same object until the device's next commit: render and serialize it once. A JSON
      // string is sent as it is (LatestView still documents it).
      let values = renderedLatest.get(latest);
      if (values === undefined) {
        const view: Record<string, { ts: string; value: unknown }> = {};
        for (const k in latest) {
          const v = latest[k] as Point;
          view[k] = { ts: new Date(v.ts).toISOString(), value: v.value };
        }
        values = JSON.stringify(view);
        renderedLatest.set(latest, values);
      }
      return reply
        .type('application/json; charset=utf-8')
        .send(`{"device_id":${JSON.stringify(device.id)},"values":${values}}` as unknown as Static<typeof LatestView>);
    },
  );
}
