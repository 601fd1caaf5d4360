import { Type } from 'typebox';
import type { AuditLog } from '../audit/index.js';
import { principalOf } from '../auth/index.js';
import { decodeCursor, page } from '../http/pagination.js';
import { IdParams, Page, PageQuery, Strict } from '../http/schemas.js';
import type { Http } from '../http/server.js';
import { invalid } from '../kernel/index.js';
import { RULE_TYPES } from './model.js';
import type { RuleService } from './service.js';
import type { TestSample } from './tester.js';
import { RuleView, ruleView } from './views.js';

export interface RuleRouteDeps {
  rules: RuleService;
  audit: AuditLog;
}

const Target = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]);
// conditions and actions are checked per rule type by the rule validator, which names the field at fault.
const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  device_id: Target,
  device_type: Target,
  rule_type: Type.String({ description: RULE_TYPES.join(' | ') }),
  conditions: Type.Object({}, { additionalProperties: true, description: 'shape depends on rule_type' }),
  actions: Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true }), { maxItems: 20 }),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  priority: Type.Integer({ minimum: 0, maximum: 1000 }),
  enabled: Type.Boolean(),
  auto_resolve: Type.Boolean(),
  message: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
};
const Scalar = Type.Union([Type.Number(), Type.String({ maxLength: 4096 }), Type.Boolean()]);
const SampleData = Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Scalar);

const TraceNode = Type.Object({
  condition: Type.String(),
  result: Type.Union([Type.Boolean(), Type.Null()]),
  value: Type.Optional(Type.Unknown()),
  threshold: Type.Optional(Type.Unknown()),
  detail: Type.Optional(Type.String()),
  children: Type.Optional(Type.Array(Type.Unknown(), { description: 'the same shape, for all/any' })),
});
const TestResult = Type.Object({
  rule_id: Type.String(),
  device_id: Type.String(),
  source: Type.String(),
  would_fire: Type.Boolean(),
  result: Type.Union([Type.Boolean(), Type.Null()]),
  value: Type.Unknown(),
  threshold: Type.Unknown(),
  message: Type.Union([Type.String(), Type.Null()]),
  duration_s: Type.Union([Type.Number(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  trace: TraceNode,
  steps: Type.Array(Type.Object({ ts: Type.String(), result: Type.Union([Type.Boolean(), Type.Null()]) })),
  next_runs: Type.Array(Type.String()),
});

const timeOf = (v: string | number, at: string): number => {
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw invalid(at, 'must be epoch milliseconds or an ISO 8601 time');
  return ms;
};

/**
 * Rules over HTTP. Viewers read; admins create, change and delete (rules are configuration, like devices);
 * operators may also toggle a rule (maintenance) and test one (no side effects).
 */
export function registerRuleRoutes(app: Http, deps: RuleRouteDeps): void {
  const { rules, audit } = deps;

  app.get(
    '/api/v1/rules',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['rules'],
        querystring: Type.Object({
          ...PageQuery,
          device_id: Type.Optional(Type.String({ maxLength: 200 })),
          device_type: Type.Optional(Type.String({ maxLength: 200 })),
          rule_type: Type.Optional(Type.String({ maxLength: 50 })),
          enabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: Page(RuleView) },
      },
    },
    async (request) => {
      const { limit = 100, cursor, device_id, device_type, rule_type, enabled } = request.query;
      const rows = await rules.list(principalOf(request), {
        ...(device_id ? { deviceId: device_id } : {}),
        ...(device_type ? { deviceType: device_type } : {}),
        ...(rule_type ? { ruleType: rule_type } : {}),
        ...(enabled === undefined ? {} : { enabled }),
        ...(cursor ? { after: decodeCursor(cursor) } : {}),
        limit: limit + 1,
      });
      return page(rows, limit, (r) => r.id, ruleView);
    },
  );

  app.post(
    '/api/v1/rules',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['rules'],
        body: Strict({
          name: fields.name,
          description: Type.Optional(fields.description),
          device_id: Type.Optional(fields.device_id),
          device_type: Type.Optional(fields.device_type),
          rule_type: fields.rule_type,
          conditions: fields.conditions,
          actions: Type.Optional(fields.actions),
          severity: Type.Optional(fields.severity),
          priority: Type.Optional(fields.priority),
          enabled: Type.Optional(fields.enabled),
          auto_resolve: Type.Optional(fields.auto_resolve),
          message: Type.Optional(fields.message),
        }),
        response: { 201: RuleView },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const row = await rules.create(p, request.body);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'rule.created',
        resourceType: 'rule',
        resourceId: row.id,
        details: { name: row.name, rule_type: row.rule_type, enabled: row.enabled === 1 },
        ip: request.ip,
      });
      return reply.status(201).send(ruleView(row));
    },
  );

  app.get(
    '/api/v1/rules/:id',
    { config: { auth: 'viewer' }, schema: { tags: ['rules'], params: IdParams, response: { 200: RuleView } } },
    async (request) => ruleView(await rules.get(principalOf(request), request.params.id)),
  );

  app.put(
    '/api/v1/rules/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['rules'],
        description: 'Changes the fields given; the rule is validated as a whole and applied at once.',
        params: IdParams,
        body: Strict({
          name: Type.Optional(fields.name),
          description: Type.Optional(fields.description),
          device_id: Type.Optional(fields.device_id),
          device_type: Type.Optional(fields.device_type),
          rule_type: Type.Optional(fields.rule_type),
          conditions: Type.Optional(fields.conditions),
          actions: Type.Optional(fields.actions),
          severity: Type.Optional(fields.severity),
          priority: Type.Optional(fields.priority),
          enabled: Type.Optional(fields.enabled),
          auto_resolve: Type.Optional(fields.auto_resolve),
          message: Type.Optional(fields.message),
        }),
        response: { 200: RuleView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await rules.update(p, request.params.id, request.body);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'rule.updated',
        resourceType: 'rule',
        resourceId: row.id,
        details: { name: row.name, fields: Object.keys(request.body) },
        ip: request.ip,
      });
      return ruleView(row);
    },
  );

  app.delete(
    '/api/v1/rules/:id',
    { config: { auth: 'admin' }, schema: { tags: ['rules'], params: IdParams } },
    async (request, reply) => {
      const p = principalOf(request);
      const row = await rules.remove(p, request.params.id);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: 'rule.deleted',
        resourceType: 'rule',
        resourceId: row.id,
        details: { name: row.name },
        ip: request.ip,
      });
      return reply.status(204).send();
    },
  );

  app.patch(
    '/api/v1/rules/:id/toggle',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['rules'],
        description: 'Enables or disables a rule: `{"enabled": true|false}`, or flips it without a body.',
        params: IdParams,
        body: Type.Optional(Type.Union([Strict({ enabled: Type.Optional(fields.enabled) }), Type.Null()])),
        response: { 200: RuleView },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const row = await rules.toggle(p, request.params.id, request.body?.enabled);
      await audit.record({
        organizationId: p.organizationId,
        actor: p,
        action: row.enabled === 1 ? 'rule.enabled' : 'rule.disabled',
        resourceType: 'rule',
        resourceId: row.id,
        details: { name: row.name },
        ip: request.ip,
      });
      return ruleView(row);
    },
  );

  app.post(
    '/api/v1/rules/:id/test',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['rules'],
        description:
          'Evaluates the rule on one device without side effects: against `data` (one sample) or `points` (samples in time order) over its stored latest values, or against stored values alone.',
        params: IdParams,
        body: Type.Optional(
          Type.Union([
            Strict({
              device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              data: Type.Optional(SampleData),
              points: Type.Optional(
                Type.Array(
                  Strict({
                    ts: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Number()])),
                    data: SampleData,
                  }),
                  { minItems: 1, maxItems: 10_000 },
                ),
              ),
            }),
            Type.Null(),
          ]),
        ),
        response: { 200: TestResult },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      if (body.data && body.points) throw invalid('points', 'give data (one sample) or points, not both');
      let samples: TestSample[] | null = null;
      if (body.data) samples = [{ data: body.data }];
      else if (body.points)
        samples = body.points.map((pt, i) => ({
          data: pt.data,
          ...(pt.ts === undefined ? {} : { ts: timeOf(pt.ts, `points.${i}.ts`) }),
        }));
      return rules.test(principalOf(request), request.params.id, body.device_id, samples);
    },
  );
}
