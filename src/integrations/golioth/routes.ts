import { Type } from 'typebox';
import { bearerOf, principalOf } from '../../auth/index.js';
import { Id, Strict } from '../../http/schemas.js';
import type { Http } from '../../http/server.js';
import { FieldlineError, safeEqual } from '../../kernel/index.js';
import type { IntegrationRouteDeps } from '../routes.js';
import type { IntegrationRow } from '../store.js';
import type { GoliothIntegrationConfig } from '../types.js';
import { upstreamError } from './service.js';

const Params = Type.Object({ id: Id });
const DeviceParams = Type.Object({ id: Id, device_id: Id });
const StatePath = Type.String({
  maxLength: 500,
  pattern: '^[A-Za-z0-9_./-]*$',
  description: 'LightDB path, `/` or empty for the whole state',
});

/**
 * Golioth: the inbound webhook (public, authenticated by the integration's shared secret) and the REST API of
 * Golioth for the devices it linked (LightDB State, RPC, OTA releases).
 */
export function registerGoliothRoutes(app: Http, deps: IntegrationRouteDeps): void {
  const m = deps.integrations;

  const goliothRow = async (organizationId: string, id: string): Promise<IntegrationRow> => {
    const row = await m.service.get(organizationId, id);
    if (row.type !== 'golioth')
      throw new FieldlineError(
        'FIELDLINE_ERR_CONFLICT',
        `integration '${row.name}' is a ${row.type} integration, not Golioth`,
      );
    return row;
  };

  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw upstreamError(err);
    }
  };

  app.post(
    '/api/v1/integrations/:id/golioth/webhook',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['integrations'],
        description:
          "Where a Golioth Pipeline (webhook destination) or Output Stream sends device data. Authenticated by the integration's webhook_secret in `x-fieldline-secret` (or `Authorization: Bearer …`). Devices are created on first sight; their data becomes telemetry.",
        params: Params,
        response: {
          200: Type.Object({
            device_id: Type.String(),
            golioth_device_id: Type.String(),
            kind: Type.String(),
            points: Type.Integer(),
            device_created: Type.Boolean(),
          }),
        },
      },
    },
    async (request) => {
      const unauthorized = new FieldlineError(
        'FIELDLINE_ERR_UNAUTHENTICATED',
        'unknown integration or wrong webhook secret',
      );
      const row = await m.store.byId(request.params.id);
      if (row?.type !== 'golioth') throw unauthorized;
      const config = m.service.fullConfig(row) as unknown as GoliothIntegrationConfig;
      const given = request.headers['x-fieldline-secret'] ?? bearerOf(request);
      if (typeof given !== 'string' || !config.webhook_secret || !safeEqual(given, config.webhook_secret))
        throw unauthorized;
      if (row.status === 'inactive')
        throw new FieldlineError('FIELDLINE_ERR_CONFLICT', `integration '${row.name}' is inactive: nothing is stored`);
      return m.golioth.receive(row, request.headers, request.body);
    },
  );

  app.get(
    '/api/v1/integrations/:id/golioth/devices/:device_id/state',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['integrations'],
        description: "Reads the device's LightDB State in Golioth.",
        params: DeviceParams,
        querystring: Type.Object({ path: Type.Optional(StatePath) }),
        response: { 200: Type.Object({ device_id: Type.String(), path: Type.String(), data: Type.Unknown() }) },
      },
    },
    async (request) => {
      const row = await goliothRow(principalOf(request).organizationId, request.params.id);
      const external = m.golioth.externalId(row, request.params.device_id);
      const path = request.query.path ?? '/';
      const data = await call(() => m.golioth.client(row).getState(external, path));
      return { device_id: request.params.device_id, path, data };
    },
  );

  app.put(
    '/api/v1/integrations/:id/golioth/devices/:device_id/state',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['integrations'],
        description:
          "Writes the device's LightDB State in Golioth (desired state): `merge` merges into the value at the path, otherwise it is replaced.",
        params: DeviceParams,
        body: Strict({ path: Type.Optional(StatePath), value: Type.Unknown(), merge: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ device_id: Type.String(), path: Type.String(), data: Type.Unknown() }) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await goliothRow(p.organizationId, request.params.id);
      const external = m.golioth.externalId(row, request.params.device_id);
      const { path = '/', value, merge = false } = request.body;
      if (value === undefined) throw new FieldlineError('FIELDLINE_ERR_VALIDATION', 'value is required');
      const data = await call(() => m.golioth.client(row).setState(external, path, value, merge));
      await deps.audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'integration.golioth_state_written',
        resourceType: 'device',
        resourceId: request.params.device_id,
        details: { integration_id: row.id, path, merge },
        ip: request.ip,
      });
      return { device_id: request.params.device_id, path, data: data ?? value };
    },
  );

  app.post(
    '/api/v1/integrations/:id/golioth/devices/:device_id/rpc',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['integrations'],
        description:
          'Calls a remote procedure on the device through Golioth and waits for its answer. (A command sent with POST /devices/{id}/commands to a Golioth device goes the same way.)',
        params: DeviceParams,
        body: Strict({
          method: Type.String({ minLength: 1, maxLength: 200 }),
          params: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 100 })),
          timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
        }),
        response: { 200: Type.Object({ status_code: Type.Integer(), detail: Type.Unknown() }) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await goliothRow(p.organizationId, request.params.id);
      const external = m.golioth.externalId(row, request.params.device_id);
      const { method, params = [], timeout_s } = request.body;
      const timeout =
        timeout_s ?? (m.service.fullConfig(row) as unknown as GoliothIntegrationConfig).rpc_timeout_s ?? 10;
      const result = await call(() => m.golioth.client(row).rpc(external, method, params, timeout));
      await deps.audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'integration.golioth_rpc',
        resourceType: 'device',
        resourceId: request.params.device_id,
        details: { integration_id: row.id, method, status_code: result.statusCode },
        ip: request.ip,
      });
      return { status_code: result.statusCode, detail: result.detail };
    },
  );

  app.get(
    '/api/v1/integrations/:id/golioth/releases',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['integrations'],
        description:
          "OTA releases of the Golioth project; with device_id, those that target the device's tags (or all devices).",
        params: Params,
        querystring: Type.Object({ device_id: Type.Optional(Id) }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())), next_cursor: Type.Null() }),
        },
      },
    },
    async (request) => {
      const row = await goliothRow(principalOf(request).organizationId, request.params.id);
      const client = m.golioth.client(row);
      const deviceId = request.query.device_id;
      const items = await call(async () => {
        if (!deviceId) return client.listReleases({});
        const device = await client.getDevice(m.golioth.externalId(row, deviceId));
        const tags = device.tagIds ?? [];
        const all = await client.listReleases({});
        return all.filter((r) => !r.deviceTagIds?.length || r.deviceTagIds.some((t) => tags.includes(t)));
      });
      return { items, next_cursor: null };
    },
  );

  app.post(
    '/api/v1/integrations/:id/golioth/devices/:device_id/ota',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['integrations'],
        description:
          "Rolls a release out to the device: tags the device with one of the release's device tags (tag_id, or its only one) so the release targets it, and turns the release's rollout on. Golioth then offers the firmware to every device the release targets.",
        params: DeviceParams,
        body: Strict({
          release_id: Type.String({ minLength: 1, maxLength: 200 }),
          tag_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        }),
        response: {
          200: Type.Object({
            release: Type.Record(Type.String(), Type.Unknown()),
            device_tag_added: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await goliothRow(p.organizationId, request.params.id);
      const external = m.golioth.externalId(row, request.params.device_id);
      const client = m.golioth.client(row);
      const { release_id, tag_id } = request.body;
      const result = await call(async () => {
        const release = await client.getRelease(release_id);
        const tags = release.deviceTagIds ?? [];
        let added: string | null = null;
        if (tags.length > 0) {
          const device = await client.getDevice(external);
          const has = (device.tagIds ?? []).some((t) => tags.includes(t));
          if (!has) {
            const tag = tag_id ?? (tags.length === 1 ? tags[0] : undefined);
            if (!tag || !tags.includes(tag))
              throw new FieldlineError(
                'FIELDLINE_ERR_VALIDATION',
                `the release targets tags ${tags.join(', ')}: give tag_id, one of them, to add to the device`,
              );
            await client.addDeviceTag(external, tag);
            added = tag;
          }
        }
        const rolled = release.rollout ? release : await client.setRollout(release_id, true);
        return { release: rolled, device_tag_added: added };
      });
      await deps.audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'integration.golioth_ota_rollout',
        resourceType: 'device',
        resourceId: request.params.device_id,
        details: { integration_id: row.id, release_id, tag_added: result.device_tag_added },
        ip: request.ip,
      });
      return result;
    },
  );
}
