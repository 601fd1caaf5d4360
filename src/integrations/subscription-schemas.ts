import { type Static, Type } from 'typebox';
import type { FieldProblem } from '../kernel/index.js';
import { keyProblem } from '../telemetry/codecs/index.js';
import { schemaProblems } from './config-schemas.js';
import { JsonPathError, parseJsonPath } from './mqtt/json-path.js';
import { type CompiledTopic, templateNames, topicNameProblem } from './mqtt/topic-filter.js';
import type { SubscriptionAction } from './types.js';

const QosSchema = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]);
const Path = Type.String({ minLength: 1, maxLength: 500 });

export const IngestActionSchema = Type.Object(
  {
    type: Type.Literal('ingest'),
    device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    device_id_topic_level: Type.Optional(Type.Integer({ minimum: -64, maximum: 63 })),
    device_id_path: Type.Optional(Path),
    values: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Path)),
    values_path: Type.Optional(Path),
    timestamp_path: Type.Optional(Path),
    timestamp_unit: Type.Optional(Type.Union([Type.Literal('ms'), Type.Literal('s')])),
    create_devices: Type.Optional(Type.Boolean()),
    device_type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const ForwardActionSchema = Type.Object(
  { type: Type.Literal('forward'), integration_id: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const RepublishActionSchema = Type.Object(
  {
    type: Type.Literal('republish'),
    topic: Type.String({ minLength: 1, maxLength: 1000 }),
    qos: Type.Optional(QosSchema),
    retain: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const SCHEMA_OF = { ingest: IngestActionSchema, forward: ForwardActionSchema, republish: RepublishActionSchema };

export const ActionSchema = Type.Union([IngestActionSchema, ForwardActionSchema, RepublishActionSchema], {
  description:
    'ingest {device_id | device_id_topic_level | device_id_path, values?, values_path?, timestamp_path?, create_devices?}; forward {integration_id}; republish {topic, qos?, retain?}',
});

export const SubscriptionFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  topic: Type.String({ minLength: 1, maxLength: 1000 }),
  enabled: Type.Boolean(),
  description: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  qos: Type.Union([QosSchema, Type.Null()]),
  // Checked per action by actionProblems, which names the field at fault.
  actions: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 20 }),
};

export type ActionInput = Static<typeof ActionSchema>;

/**
 * Problems with a subscription's actions for its compiled topic: each action's shape, then what it refers to
 * (placeholders the topic does not have, paths that do not parse, keys storage would refuse).
 */
export function actionProblems(actions: unknown[], topic: CompiledTopic | null): FieldProblem[] {
  const problems: FieldProblem[] = [];
  actions.forEach((raw, i) => {
    const at = `actions.${i}`;
    const type = (raw as { type?: unknown } | null)?.type;
    if (type !== 'ingest' && type !== 'forward' && type !== 'republish') {
      problems.push({ field: `${at}.type`, message: 'must be ingest, forward or republish' });
      return;
    }
    const shape = schemaProblems(SCHEMA_OF[type], raw, at);
    if (shape.length) {
      problems.push(...shape);
      return;
    }
    const action = raw as SubscriptionAction;
    const names = topic?.placeholders ?? [];
    const missing = (template: string, field: string) => {
      for (const n of templateNames(template))
        if (!names.includes(n)) problems.push({ field, message: `the topic has no placeholder {${n}}` });
    };
    const path = (p: string | undefined, field: string) => {
      if (p === undefined) return;
      try {
        parseJsonPath(p);
      } catch (err) {
        if (err instanceof JsonPathError) problems.push({ field, message: err.message });
        else throw err;
      }
    };
    if (action.type === 'ingest') {
      const ways = [action.device_id, action.device_id_topic_level, action.device_id_path].filter(
        (v) => v !== undefined,
      );
      if (ways.length > 1)
        problems.push({
          field: `${at}.device_id`,
          message: 'give one of device_id, device_id_topic_level, device_id_path',
        });
      if (ways.length === 0 && !names.includes('device_id'))
        problems.push({
          field: `${at}.device_id`,
          message:
            'say where the device id is: device_id ("{placeholder}" or a fixed id), device_id_topic_level or device_id_path',
        });
      if (action.device_id !== undefined) missing(action.device_id, `${at}.device_id`);
      if (action.values !== undefined && action.values_path !== undefined)
        problems.push({ field: `${at}.values_path`, message: 'give values or values_path, not both' });
      path(action.device_id_path, `${at}.device_id_path`);
      path(action.values_path, `${at}.values_path`);
      path(action.timestamp_path, `${at}.timestamp_path`);
      for (const [key, p] of Object.entries(action.values ?? {})) {
        const bad = keyProblem(key);
        if (bad) problems.push({ field: `${at}.values.${key}`, message: bad });
        path(p, `${at}.values.${key}`);
      }
    } else if (action.type === 'republish') {
      const bad = topicNameProblem(action.topic.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'));
      if (bad) problems.push({ field: `${at}.topic`, message: bad });
      missing(action.topic, `${at}.topic`);
    }
  });
  return problems;
}
