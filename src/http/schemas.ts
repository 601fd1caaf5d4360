import { type TSchema, Type } from 'typebox';

/** Shared HTTP shapes: one definition each, used for validation, OpenAPI and the UI. */
export const Id = Type.String({ minLength: 1, maxLength: 200 });
export const IsoTime = Type.String({ format: 'date-time' });
export const NullableIsoTime = Type.Union([IsoTime, Type.Null()]);

export const IdParams = Type.Object({ id: Id });

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem' },
);

/** Strict object: unknown fields are refused by name. */
export const Strict = <T extends Parameters<typeof Type.Object>[0]>(props: T) =>
  Type.Object(props, { additionalProperties: false });
