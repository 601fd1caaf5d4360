import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = { allErrors: true, strict: false, useDefaults: true, removeAdditional: false };

// Bodies are taken as sent: a string where a number belongs is an error, not a coercion, and a field the
// schema does not know is refused by name (every object schema says additionalProperties: false).
const bodyAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
// Query strings and path parameters are text by nature, so they are coerced to the declared types.
const queryAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : queryAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
