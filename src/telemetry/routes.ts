import { Type } from 'typebox';
import { principalOf } from '../auth/index.js';
import type { DeviceRegistry } from '../devices/index.js';
import { Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { FieldlineError, notFound } from '../kernel/index.js';
import { decodeNativeDocument } from './codecs/native.js';
import { decodeThingsBoardAttributes, decodeThingsBoardDocument } from './codecs/thingsboard.js';
import type { Refusal } from './codecs/types.js';
import type { IngestService } from './ingest.js';
import type { TelemetryQuery } from './query.js';
import { registerTelemetryQueryRoutes } from './query-routes.js';

export interface TelemetryRouteDeps {
  ingest: IngestService;
  registry: DeviceRegistry;
  query: TelemetryQuery;
}

const refused = (r: Refusal) =>
  new FieldlineError('FIELDLINE_ERR_VALIDATION', `Telemetry refused (${r.reason}): ${r.detail}`, {
    errors: [{ field: 'data', message: `${r.reason}: ${r.detail}` }],
  });

const TimeParam = Type.Union([Type.String({ maxLength: 40 }), Type.Integer()]);

/** HTTP ingest (user token / API key, and ThingsBoard-style device token in the path), and the queries. */
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

  registerTelemetryQueryRoutes(app, { registry, query });
}
