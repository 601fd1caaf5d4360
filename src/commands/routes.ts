import { Type } from 'typebox';
import type { AuditLog } from '../audit/index.js';
import { principalOf } from '../auth/index.js';
import { decodeCursor, page } from '../http/pagination.js';
import { Id, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { FieldlineError } from '../kernel/index.js';
import type { JsonValue } from '../telemetry/codecs/index.js';
import type { CommandService } from './service.js';
import { CommandStatusSchema, CommandView, commandView } from './views.js';

export interface CommandRouteDeps {
  commands: CommandService;
  audit: AuditLog;
}

const DeviceParams = Type.Object({ id: Id });
const CommandParams = Type.Object({ id: Id, command_id: Id });

/** Params travel in one MQTT message; this keeps a command well inside any broker's packet limit. */
const MAX_PARAMS_BYTES = 64 * 1024;

/** Commands to devices: send (operators and up), follow one, list a device's history (newest first). */
export function registerCommandRoutes(app: Http, deps: CommandRouteDeps): void {
  const { commands, audit } = deps;

  app.post(
    '/api/v1/devices/:id/commands',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['commands'],
        params: DeviceParams,
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f]+$' }),
          params: Type.Optional(Type.Unknown({ description: 'any JSON; {} when absent' })),
          timeout_ms: Type.Optional(
            Type.Integer({ minimum: 100, maximum: 3_600_000, description: 'wait for the answer after delivery' }),
          ),
          expires_in_s: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 30 * 86_400,
              description: 'how long an undelivered command waits for the device (default 3600)',
            }),
          ),
        }),
        response: { 201: CommandView },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { name, params, timeout_ms, expires_in_s } = request.body;
      if (params !== undefined && Buffer.byteLength(JSON.stringify(params)) > MAX_PARAMS_BYTES) {
        throw new FieldlineError('FIELDLINE_ERR_PAYLOAD_TOO_LARGE', `params exceed ${MAX_PARAMS_BYTES} bytes`);
      }
      const row = await commands.create(p, request.params.id, {
        name,
        ...(params !== undefined ? { params: params as JsonValue } : {}),
        ...(timeout_ms !== undefined ? { timeout_ms } : {}),
        ...(expires_in_s !== undefined ? { expires_in_s } : {}),
      });
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'command.created',
        resourceType: 'device_command',
        resourceId: row.id,
        details: { device_id: row.device_id, name: row.name },
        ip: request.ip,
      });
      return reply.status(201).send(commandView(row));
    },
  );

  app.get(
    '/api/v1/devices/:id/commands',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['commands'],
        params: DeviceParams,
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(CommandStatusSchema) }),
        response: { 200: Page(CommandView) },
      },
    },
    async (request) => {
      const { limit = 100, cursor, status } = request.query;
      const rows = await commands.list(principalOf(request), request.params.id, {
        limit: limit + 1,
        ...(status ? { status } : {}),
        ...(cursor ? { before: decodeCursor(cursor) } : {}),
      });
      return page(rows, limit, (r) => r.id, commandView);
    },
  );

  app.get(
    '/api/v1/devices/:id/commands/:command_id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['commands'], params: CommandParams, response: { 200: CommandView } },
    },
    async (request) =>
      commandView(await commands.get(principalOf(request), request.params.id, request.params.command_id)),
  );
}
