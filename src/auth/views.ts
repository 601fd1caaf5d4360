import { Type } from 'typebox';
import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { ROLES } from './roles.js';
import type { ApiKeyRow, MemberRow, OrganizationRow } from './store.js';

/** The HTTP shapes of identity and tenancy, and the functions that render rows into them. */
export const RoleSchema = Type.Union([
  Type.Literal('owner'),
  Type.Literal('admin'),
  Type.Literal('operator'),
  Type.Literal('viewer'),
]) satisfies { anyOf: { const: (typeof ROLES)[number] }[] };

export const OrganizationView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  settings: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const MemberView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  display_name: Type.Union([Type.String(), Type.Null()]),
  role: RoleSchema,
  disabled: Type.Boolean(),
  created_at: Type.String(),
  last_login_at: Type.Union([Type.String(), Type.Null()]),
});

export const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  prefix: Type.String(),
  created_by: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Union([Type.String(), Type.Null()]),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

export const organizationView = (o: OrganizationRow) => ({
  id: o.id,
  name: o.name,
  slug: o.slug,
  settings: JSON.parse(o.settings) as Record<string, unknown>,
  created_at: toIso(o.created_at),
  updated_at: toIso(o.updated_at),
});

export const memberView = (m: MemberRow) => ({
  id: m.id,
  username: m.username,
  email: m.email,
  display_name: m.display_name,
  role: m.role,
  disabled: m.disabled === 1,
  created_at: toIso(m.created_at),
  last_login_at: toIsoOrNull(m.last_login_at),
});

export const apiKeyView = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  role: k.role as (typeof ROLES)[number],
  prefix: k.prefix,
  created_by: k.created_by,
  created_at: toIso(k.created_at),
  last_used_at: toIsoOrNull(k.last_used_at),
  expires_at: toIsoOrNull(k.expires_at),
  revoked_at: toIsoOrNull(k.revoked_at),
});
