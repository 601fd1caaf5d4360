import { createLogger, systemClock } from '../kernel/index.js';
import type { Sample, Witness } from './condition.js';
import { type AlertPort, type FactSource, RuleEngine, type ScopeDevice } from './engine.js';
import type { RuleRecord, RuleTarget } from './model.js';
import type { CompiledRule } from './rule-runtime.js';
import { type RuleInput, validateRule } from './rule-validator.js';

export const ORG = 'org-1';

/** A rule record and its logic from the JSON a user writes. */
export function ruleOf(input: Partial<RuleInput> & Pick<RuleInput, 'rule_type' | 'conditions'>, id = 'rule-1') {
  const full: RuleInput = { name: 'Test rule', device_id: 'dev-1', ...input };
  const valid = validateRule(full);
  const record: RuleRecord = {
    id,
    organization_id: ORG,
    name: full.name,
    description: null,
    device_id: full.device_id ?? null,
    device_type: full.device_type ?? null,
    rule_type: valid.rule_type,
    conditions: full.conditions as Record<string, unknown>,
    actions: valid.actions,
    severity: valid.severity,
    priority: 0,
    enabled: true,
    auto_resolve: full.auto_resolve ?? true,
    message: full.message ?? null,
    created_by: null,
    created_at: 0,
    updated_at: 0,
  };
  return { record, logic: valid.logic };
}

/** An engine over in-memory facts with an alerts port that records what it was asked. */
export function testEngine(
  devices: ScopeDevice[] = [{ id: 'dev-1', deviceType: 'boiler', active: true, status: 'online', lastSeen: 1 }],
) {
  const raised: { ruleId: string; deviceId: string; witness: Witness; alertId: string }[] = [];
  const resolved: { ruleId: string; deviceId: string; alertId: string }[] = [];
  const latest = new Map<string, Record<string, Sample>>();
  const history = new Map<string, { ts: number; value: unknown }[]>();
  const status = new Map<string, 'online' | 'offline'>();
  const pending = new Map<string, number>();
  const alerts: AlertPort = {
    raise: async (rule: CompiledRule, deviceId, witness, alertId) => {
      raised.push({ ruleId: rule.id, deviceId, witness, alertId });
      return alertId;
    },
    resolve: async (rule, deviceId, alertId) => {
      resolved.push({ ruleId: rule.id, deviceId, alertId });
    },
  };
  const inScope = (t: RuleTarget) =>
    devices.filter(
      (d) => t.kind === 'all' || (t.kind === 'device' ? d.id === t.deviceId : d.deviceType === t.deviceType),
    );
  const facts: FactSource = {
    devicesInScope: async (_org, t) => inScope(t),
    deviceType: async (id) => devices.find((d) => d.id === id)?.deviceType ?? null,
    latest: async (id, keys) =>
      Object.fromEntries(Object.entries(latest.get(id) ?? {}).filter(([k]) => !keys || keys.includes(k))),
    history: async (id, key, start, end) =>
      (history.get(`${id}/${key}`) ?? []).filter((p) => p.ts >= start && p.ts < end),
    statusOf: (id) => status.get(id),
  };
  const engine = new RuleEngine({
    clock: systemClock,
    log: createLogger('silent'),
    alerts,
    facts,
    pending: {
      save: async (r, d, since) => {
        pending.set(`${r}/${d}`, since);
      },
      delete: async (r, d) => {
        pending.delete(`${r}/${d}`);
      },
    },
  });
  /** Sends one message of a device (all keys at one timestamp). */
  const send = (data: Record<string, unknown>, deviceId = 'dev-1', ts = Date.now()) =>
    engine.onTelemetry({
      organization_id: ORG,
      device_id: deviceId,
      device_type: devices.find((d) => d.id === deviceId)?.deviceType ?? 'generic',
      source: 'test',
      readings: Object.entries(data).map(([key, value]) => ({ ts, key, value: value as number })),
      received_at: Date.now(),
    });
  return { engine, raised, resolved, latest, history, status, pending, send, devices };
}
