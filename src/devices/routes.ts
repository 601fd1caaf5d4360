import { Type } from 'typebox';
import type { AuditLog } from '../audit/index.js';
import { principalOf } from '../auth/index.js';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { refuseForeignEdgeNodeDevice } from './edge-node-ownership.js';
import type { PresenceTracker } from './presence.js';
import type { DeviceRegistry } from './registry.js';
import type { DeviceStore } from './store.js';
import { DeviceView, deviceView } from './views.js';

export interface DeviceRouteDeps {
  registry: DeviceRegistry;
  store: DeviceStore;
  presence: PresenceTracker;
  audit: AuditLog;
}

const DeviceId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  description: 'letters, digits, . _ : - (max 128)',
});
const Metadata = Type.Record(Type.String(), Type.Unknown());
const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  device_type: Type.String({ minLength: 1, maxLength: 100 }),
  location: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  active: Type.Boolean(),
  metadata: Metadata,
  inactivity_timeout_s: Type.Union([Type.Integer({ minimum: 10, maximum: 30 * 86_400 }), Type.Null()]),
};

/** The device registry over HTTP: list, create (token shown once), read, update, delete, rotate the token. */
export function registerDeviceRoutes(app: Http, deps: DeviceRouteDeps): void {
  const { registry, store, presence, audit } = deps;
  const live = (id: string) => ({ status: presence.statusOf(id), lastSeen: presence.lastSeenOf(id) });

  app.get(
    '/api/v1/devices',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['devices'],
        querystring: Type.Object({
          ...PageQuery,
          device_type: Type.Optional(Type.String({ maxLength: 100 })),
          status: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('offline')])),
          search: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: Page(DeviceView) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { limit = 100, cursor, device_type, status, search } = request.query;
      const rows = await store.list({
        organizationId: p.organizationId,
        ...(device_type ? { deviceType: device_type } : {}),
        ...(status ? { status } : {}),
        ...(search ? { search } : {}),
        ...(cursor ? { after: decodeCursor(cursor) } : {}),
        limit: limit + 1,
      });
      return page(
        rows,
        limit,
        (r) => r.id,
        (r) => deviceView(r, live(r.id)),
      );
    },
  );

  app.post(
    '/api/v1/devices',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['devices'],
        body: Strict({
          id: Type.Optional(DeviceId),
          name: fields.name,
          device_type: Type.Optional(fields.device_type),
          location: Type.Optional(fields.location),
          active: Type.Optional(fields.active),
          metadata: Type.Optional(fields.metadata),
          inactivity_timeout_s: Type.Optional(fields.inactivity_timeout_s),
        }),
        response: {
          201: Type.Intersect([DeviceView, Type.Object({ credentials: Type.Object({ access_token: Type.String() }) })]),
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      if (request.body.id !== undefined)
        await refuseForeignEdgeNodeDevice((id) => registry.byDeviceId(id), p.organizationId, request.body.id);
      const { row, accessToken } = await registry.create(p.organizationId, request.body);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'device.created',
        resourceType: 'device',
        resourceId: row.id,
        details: { name: row.name },
        ip: request.ip,
      });
      return reply.status(201).send({ ...deviceView(row), credentials: { access_token: accessToken } });
    },
  );

  app.get(
    '/api/v1/devices/:id',
    { config: { auth: 'viewer' }, schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceView } } },
    async (request) => {
      const row = await registry.get(principalOf(request), request.params.id);
      return deviceView(row, live(row.id));
    },
  );

  app.put(
    '/api/v1/devices/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['devices'],
        params: IdParams,
        body: Strict({
          name: Type.Optional(fields.name),
          device_type: Type.Optional(fields.device_type),
          location: Type.Optional(fields.location),
          active: Type.Optional(fields.active),
          metadata: Type.Optional(fields.metadata),
          inactivity_timeout_s: Type.Optional(fields.inactivity_timeout_s),
        }),
        response: { 200: DeviceView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await registry.update(p, request.params.id, request.body);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'device.updated',
        resourceType: 'device',
        resourceId: row.id,
        details: { ...request.body },
        ip: request.ip,
      });
      return deviceView(row, live(row.id));
    },
  );

  app.delete(
    '/api/v1/devices/:id',
    { config: { auth: 'admin' }, schema: { tags: ['devices'], params: IdParams } },
    async (request, reply) => {
      const p = principalOf(request);
      const row = await registry.delete(p, request.params.id);
      presence.forget(row.id);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'device.deleted',
        resourceType: 'device',
        resourceId: row.id,
        details: { name: row.name },
        ip: request.ip,
      });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/devices/:id/credentials',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['devices'],
        params: IdParams,
        response: {
          200: Type.Object({
            device_id: Type.String(),
            /** The same as in the creation answer, so clients read a new token from one place. */
            credentials: Type.Object({ access_token: Type.String() }),
            access_token: Type.String({ description: 'the same token (kept for clients of earlier versions)' }),
          }),
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const accessToken = await registry.rotateToken(p, request.params.id);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'device.credentials_rotated',
        resourceType: 'device',
        resourceId: request.params.id,
        ip: request.ip,
      });
      return { device_id: request.params.id, credentials: { access_token: accessToken }, access_token: accessToken };
    },
  );
}
