import { type Static, Type } from 'typebox';
import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { CommandRow } from './store.js';

export const CommandStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('timed_out'),
  Type.Literal('expired'),
]);

export const CommandView = Type.Object({
  id: Type.String(),
  device_id: Type.String(),
  name: Type.String(),
  params: Type.Unknown(),
  status: CommandStatusSchema,
  /** native, thingsboard or sparkplug: decided when the command is delivered. */
  family: Type.Union([Type.String(), Type.Null()]),
  timeout_ms: Type.Integer(),
  created_by: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  expires_at: Type.String(),
  delivered_at: Type.Union([Type.String(), Type.Null()]),
  completed_at: Type.Union([Type.String(), Type.Null()]),
  response: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]),
});

export const commandView = (c: CommandRow) => ({
  id: c.id,
  device_id: c.device_id,
  name: c.name,
  params: JSON.parse(c.params) as unknown,
  status: c.status as Static<typeof CommandStatusSchema>,
  family: c.family,
  timeout_ms: c.timeout_ms,
  created_by: c.created_by,
  created_at: toIso(c.created_at),
  expires_at: toIso(c.expires_at),
  delivered_at: toIsoOrNull(c.delivered_at),
  completed_at: toIsoOrNull(c.completed_at),
  response: c.response === null ? null : (JSON.parse(c.response) as unknown),
  error: c.error,
});
