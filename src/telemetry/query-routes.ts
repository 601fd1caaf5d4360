import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { principalOf } from '../auth/index.js';
import type { DeviceRegistry } from '../devices/index.js';
import { preferredType } from '../http/accept.js';
import type { Http } from '../http/server.js';
import { invalid } from '../kernel/index.js';
import { telemetryCsv } from './csv.js';
import { type Aggregate, type Point, parseInterval, type TelemetryQuery } from './query.js';
import { parseKeys, parseTime } from './query-params.js';
import type { SeriesAnswer } from './series-answer.js';

export interface TelemetryQueryRouteDeps {
  registry: DeviceRegistry;
  query: TelemetryQuery;
}

const DAY_MS = 86_400_000;
const DEFAULT_LIMIT = 10_000;
/** The largest `limit` (points or buckets a key), and the most buckets an interval may cut a range into. */
const MAX_POINTS = 100_000;
/**
 * The most points (or buckets) of all keys in one answer. `limit` counts per key, so without this a device with
 * hundreds of keys would answer millions of points at the default limit: such an answer is refused (400), never cut.
 * Rendering 500,000 points as JSON takes ~0.5 s of the main thread and ~75 MB beside the rows (measured on the
 * development VM: 1,000,000 took 1.0 s and 150 MB), which every MQTT acknowledgement would wait behind.
 */
const MAX_ANSWER_POINTS = 500_000;

const TimeParam = Type.Union([Type.String({ maxLength: 40 }), Type.Integer()]);

const PointView = Type.Object({ ts: Type.String({ format: 'date-time' }), value: Type.Unknown() });

/** The answer of `GET /telemetry/{device_id}`, for OpenAPI and a compiled serializer. */
const SeriesView = Type.Object({
  device_id: Type.String(),
  series: Type.Record(Type.String(), Type.Array(PointView), {
    description: 'Points (or buckets) per key, ascending by ts; keys without any in the range are left out.',
  }),
  truncated: Type.Array(Type.String(), {
    description:
      'Keys that had more than `limit` points (or buckets) in the range: each answers its newest `limit`. Empty when nothing was cut. In CSV answers, the `Fieldline-Truncated` header.',
  }),
});

/** The answer of `…/latest`, for OpenAPI and a compiled serializer. */
const LatestView = Type.Object({
  device_id: Type.String(),
  values: Type.Record(Type.String(), PointView),
});

/** Latest values as answered (JSON), by the object the latest cache holds (see the route). */
const renderedLatest = new WeakMap<Record<string, Point>, string>();

const iso = (points: Record<string, Point[]>) =>
  Object.fromEntries(
    Object.entries(points).map(([k, ps]) => [k, ps.map((p) => ({ ts: new Date(p.ts).toISOString(), value: p.value }))]),
  );

const wantsCsv = (request: FastifyRequest) =>
  preferredType(request.headers.accept, ['application/json', 'text/csv']) === 'text/csv';

const sendCsv = (reply: FastifyReply, deviceId: string, series: Record<string, Point[]>) =>
  reply.type('text/csv; charset=utf-8').send(telemetryCsv(deviceId, series));

/** `GET /telemetry/{device_id}` (history, aggregates) and `…/latest`, as JSON or, on `Accept: text/csv`, CSV. */
export function registerTelemetryQueryRoutes(app: Http, deps: TelemetryQueryRouteDeps): void {
  const { registry, query } = deps;

  app.get(
    '/api/v1/telemetry/:device_id',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['telemetry'],
        description:
          'Points of [start, end) per key, at most `limit` a key (its newest), or aggregates. Send `Accept: text/csv` for `device_id,key,ts,value` lines.',
        params: Type.Object({ device_id: Type.String({ maxLength: 128 }) }),
        querystring: Type.Object({
          start: Type.Optional(TimeParam),
          end: Type.Optional(TimeParam),
          keys: Type.Optional(Type.String({ maxLength: 4000 })),
          agg: Type.Optional(Type.Union(['avg', 'min', 'max', 'sum', 'count'].map((a) => Type.Literal(a)))),
          interval: Type.Optional(Type.String({ maxLength: 20 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_POINTS })),
        }),
        response: { 200: SeriesView },
      },
    },
    async (request, reply) => {
      const device = await registry.get(principalOf(request), request.params.device_id);
      const q = request.query;
      const end = parseTime('end', q.end, Date.now());
      const start = parseTime('start', q.start, end - DAY_MS);
      if (start >= end) throw invalid('start', 'must be before end');
      const range = {
        deviceId: device.id,
        keys: parseKeys(q.keys),
        start,
        end,
        limit: q.limit ?? DEFAULT_LIMIT,
        maxTotal: MAX_ANSWER_POINTS,
      };
      let answer: SeriesAnswer;
      if (q.agg) {
        const interval = q.interval === undefined ? null : parseInterval(q.interval);
        if (interval === null && q.interval !== undefined)
          throw invalid('interval', 'must be a duration like 60s, 5m, 1h or 1d');
        if (interval !== null && (end - start) / interval > MAX_POINTS)
          throw invalid('interval', `gives more than ${MAX_POINTS} buckets for this range`);
        answer = await query.aggregate(range, q.agg as Aggregate, interval);
      } else {
        if (q.interval !== undefined) throw invalid('interval', 'needs agg');
        answer = await query.range(range);
      }
      if (wantsCsv(request)) {
        // Keys may hold any printable character, a comma too: each is URI-encoded, so the list stays one header.
        if (answer.truncated.length > 0)
          void reply.header('fieldline-truncated', answer.truncated.map(encodeURIComponent).join(','));
        return sendCsv(reply, device.id, answer.series);
      }
      return { device_id: device.id, series: iso(answer.series), truncated: answer.truncated };
    },
  );

  app.get(
    '/api/v1/telemetry/:device_id/latest',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['telemetry'],
        description: 'The latest value of each key. Send `Accept: text/csv` for `device_id,key,ts,value` lines.',
        params: Type.Object({ device_id: Type.String({ maxLength: 128 }) }),
        querystring: Type.Object({ keys: Type.Optional(Type.String({ maxLength: 4000 })) }),
        response: { 200: LatestView },
      },
    },
    async (request, reply) => {
      const device = await registry.get(principalOf(request), request.params.device_id);
      const latest = await query.latest(device.id, parseKeys(request.query.keys));
      if (wantsCsv(request))
        return sendCsv(reply, device.id, Object.fromEntries(Object.entries(latest).map(([k, p]) => [k, [p]])));
      // The cache answers the same object until the device's next commit: render and serialize it once. A JSON
      // string is sent as it is (LatestView still documents it).
      let values = renderedLatest.get(latest);
      if (values === undefined) {
        // No prototype: a key named `__proto__` is a key like any other.
        const view: Record<string, { ts: string; value: unknown }> = Object.create(null);
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
