import { Type } from 'typebox';
import { toIso } from '../kernel/index.js';
import type { SecretBox } from '../secrets/index.js';
import { joinActionSecrets } from './action-secrets.js';
import type { RuleAction, RuleRecord, RuleType, Severity } from './model.js';
import type { RuleRow } from './store.js';

export const RuleView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  device_id: Type.Union([Type.String(), Type.Null()]),
  device_type: Type.Union([Type.String(), Type.Null()]),
  rule_type: Type.String(),
  conditions: Type.Record(Type.String(), Type.Unknown()),
  actions: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  severity: Type.String(),
  priority: Type.Integer(),
  enabled: Type.Boolean(),
  auto_resolve: Type.Boolean(),
  message: Type.Union([Type.String(), Type.Null()]),
  created_by: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});

/** A rule as the API shows it: conditions as written, action secrets masked (***). */
export const ruleView = (r: RuleRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  device_id: r.device_id,
  device_type: r.device_type,
  rule_type: r.rule_type,
  conditions: JSON.parse(r.conditions) as Record<string, unknown>,
  actions: JSON.parse(r.actions) as Record<string, unknown>[],
  severity: r.severity,
  priority: r.priority,
  enabled: r.enabled === 1,
  auto_resolve: r.auto_resolve === 1,
  message: r.message,
  created_by: r.created_by,
  created_at: toIso(r.created_at),
  updated_at: toIso(r.updated_at),
});

export const secretContext = (ruleId: string) => `rule:${ruleId}:actions`;

/** The rule as the engine needs it: JSON parsed, action secrets unsealed. */
export function ruleRecord(r: RuleRow, box: SecretBox | null): RuleRecord {
  const shown = JSON.parse(r.actions) as RuleAction[];
  const secrets =
    r.actions_secret && box
      ? (JSON.parse(box.open(r.actions_secret, secretContext(r.id))) as Parameters<typeof joinActionSecrets>[1])
      : null;
  return {
    id: r.id,
    organization_id: r.organization_id,
    name: r.name,
    description: r.description,
    device_id: r.device_id,
    device_type: r.device_type,
    rule_type: r.rule_type as RuleType,
    conditions: JSON.parse(r.conditions) as Record<string, unknown>,
    actions: joinActionSecrets(shown, secrets),
    severity: r.severity as Severity,
    priority: r.priority,
    enabled: r.enabled === 1,
    auto_resolve: r.auto_resolve === 1,
    message: r.message,
    created_by: r.created_by,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}
