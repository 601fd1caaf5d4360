import type { Principal } from '../auth/index.js';
import { type Clock, FieldlineError, invalid, type Logger, newId, notFound } from '../kernel/index.js';
import type { SecretBox } from '../secrets/index.js';
import { keepMaskedSecrets, splitActionSecrets } from './action-secrets.js';
import type { FactSource, RuleEngine } from './engine.js';
import { type RuleAction, type RuleRecord, SEVERITY_RANK, type Severity } from './model.js';
import { type RuleInput, validateRule } from './rule-validator.js';
import type { RuleFilter, RuleRow, RuleStore } from './store.js';
import { type TestOutcome, type TestSample, testRule } from './tester.js';
import { ruleRecord, secretContext } from './views.js';

/** What the rules need of the alerts domain (wired in the module; the alerts domain depends on rules). */
export interface RuleAlerts {
  /** Open alerts of a rule, by device id → alert id (they become the engine's firing states). */
  openOf(ruleId: string): Promise<Map<string, string>>;
  /** Closes the open alerts of a deleted rule, without notifications. */
  closeForRule(ruleId: string): Promise<void>;
  /** Follow-ups of the rule's open alerts, planned again from its new actions. */
  replan(ruleId: string, organizationId: string): Promise<void>;
}

export interface RuleServiceDeps {
  store: RuleStore;
  engine: RuleEngine;
  facts: FactSource;
  alerts: RuleAlerts;
  box: SecretBox;
  clock: Clock;
  log: Logger;
  /** Tells the other nodes a rule changed (they reload it); absent on a single node. */
  announce?: (ruleId: string) => void;
  /** A device of the organization for the test endpoint; null when it is not one. */
  device(
    organizationId: string,
    id: string,
  ): Promise<{
    id: string;
    name: string;
    deviceType: string;
    lastSeen: number | null;
    status: 'online' | 'offline';
  } | null>;
}

export type RulePatch = Partial<RuleInput>;

/** Rules as the API changes them: validated, stored, and applied to the engine at once. */
export class RuleService {
  constructor(private readonly d: RuleServiceDeps) {}

  list(p: Principal, filter: Omit<RuleFilter, 'organizationId'>): Promise<RuleRow[]> {
    return this.d.store.list({ ...filter, organizationId: p.organizationId });
  }

  async get(p: Pick<Principal, 'organizationId'>, id: string): Promise<RuleRow> {
    const row = await this.d.store.byId(p.organizationId, id);
    if (!row) throw notFound('rule', id);
    return row;
  }

  async create(p: Principal, input: RuleInput): Promise<RuleRow> {
    const valid = validateRule(input);
    await this.checkTarget(p.organizationId, input);
    const now = this.d.clock.now();
    const id = newId(now);
    const row: RuleRow = {
      id,
      organization_id: p.organizationId,
      name: input.name,
      description: input.description ?? null,
      device_id: input.device_id ?? null,
      device_type: input.device_type ?? null,
      rule_type: valid.rule_type,
      conditions: JSON.stringify(input.conditions),
      ...this.sealedActions(id, valid.actions),
      severity: valid.severity,
      priority: input.priority ?? 0,
      enabled: input.enabled === false ? 0 : 1,
      auto_resolve: input.auto_resolve === false ? 0 : 1,
      message: input.message ?? null,
      created_by: p.name,
      created_at: now,
      updated_at: now,
    };
    await this.d.store.insert(row);
    if (row.enabled) await this.activate(row);
    this.d.announce?.(id);
    return row;
  }

  async update(p: Principal, id: string, patch: RulePatch): Promise<RuleRow> {
    const row = await this.get(p, id);
    const current = ruleRecord(row, this.d.box);
    const has = (k: keyof RulePatch) => Object.hasOwn(patch, k);
    // A new target replaces the old one: naming a type drops the device, and the other way round.
    const deviceId = has('device_id')
      ? (patch.device_id ?? null)
      : has('device_type') && patch.device_type
        ? null
        : row.device_id;
    const deviceType = has('device_type')
      ? (patch.device_type ?? null)
      : has('device_id') && patch.device_id
        ? null
        : row.device_type;
    const actions = patch.actions ? keepMaskedSecrets(patch.actions as RuleAction[], current.actions) : current.actions;
    const severityWasDerived = current.severity === derivedSeverity(current.actions);
    const input: RuleInput = {
      name: patch.name ?? row.name,
      description: has('description') ? (patch.description ?? null) : row.description,
      device_id: deviceId,
      device_type: deviceType,
      rule_type: patch.rule_type ?? row.rule_type,
      conditions: patch.conditions ?? current.conditions,
      actions,
      ...(patch.severity
        ? { severity: patch.severity }
        : patch.actions && severityWasDerived
          ? {}
          : { severity: current.severity }),
      priority: patch.priority ?? row.priority,
      enabled: patch.enabled ?? row.enabled === 1,
      auto_resolve: patch.auto_resolve ?? row.auto_resolve === 1,
      message: has('message') ? (patch.message ?? null) : row.message,
    };
    const valid = validateRule(input);
    await this.checkTarget(p.organizationId, input);
    const changes: Partial<RuleRow> = {
      name: input.name,
      description: input.description ?? null,
      device_id: input.device_id ?? null,
      device_type: input.device_type ?? null,
      rule_type: valid.rule_type,
      conditions: JSON.stringify(input.conditions),
      ...this.sealedActions(id, valid.actions),
      severity: valid.severity,
      priority: input.priority ?? 0,
      enabled: input.enabled === false ? 0 : 1,
      auto_resolve: input.auto_resolve === false ? 0 : 1,
      message: input.message ?? null,
      updated_at: this.d.clock.now(),
    };
    await this.d.store.update(id, changes);
    const next = { ...row, ...changes };
    this.deactivate(row);
    if (next.enabled) {
      await this.activate(next);
      await this.d.alerts.replan(id, p.organizationId);
    }
    this.d.announce?.(id);
    return next;
  }

  async remove(p: Principal, id: string): Promise<RuleRow> {
    const row = await this.get(p, id);
    this.deactivate(row);
    await this.d.store.remove(id);
    this.d.announce?.(id);
    await this.d.alerts.closeForRule(id);
    return row;
  }

  async toggle(p: Principal, id: string, enabled?: boolean): Promise<RuleRow> {
    const row = await this.get(p, id);
    const next = enabled ?? row.enabled !== 1;
    const changes = { enabled: next ? 1 : 0, updated_at: this.d.clock.now() };
    await this.d.store.update(id, changes);
    const updated = { ...row, ...changes };
    if (next) {
      if (row.enabled !== 1 || !this.d.engine.rule(row.organization_id, id)) await this.activate(updated);
      await this.d.alerts.replan(id, p.organizationId);
    } else this.deactivate(row);
    this.d.announce?.(id);
    return updated;
  }

  async test(
    p: Principal,
    id: string,
    deviceId: string | undefined,
    samples: TestSample[] | null,
  ): Promise<TestOutcome> {
    const row = await this.get(p, id);
    const record = ruleRecord(row, this.d.box);
    const { logic } = validateRule(record);
    const target = deviceId ?? row.device_id;
    if (!target) throw invalid('device_id', 'is required to test a rule that applies to several devices');
    const device = await this.d.device(p.organizationId, target);
    if (!device) throw invalid('device_id', `no device '${target}' in this organization`);
    if (row.device_id && row.device_id !== device.id)
      throw invalid('device_id', `the rule applies to device '${row.device_id}' only`);
    if (row.device_type && row.device_type !== device.deviceType)
      throw invalid(
        'device_id',
        `the rule applies to devices of type '${row.device_type}', not '${device.deviceType}'`,
      );
    return testRule(record, logic, device, samples, this.d.facts, this.d.clock);
  }

  /** Loads every enabled rule into the engine with the open alerts and running durations it had. */
  async start(
    pending: readonly { rule_id: string; device_id: string; pending_since: number }[],
    open: readonly { id: string; rule_id: string; device_id: string }[],
  ): Promise<number> {
    const byRule = new Map<string, Map<string, number>>();
    for (const s of pending) {
      const m = byRule.get(s.rule_id) ?? new Map<string, number>();
      m.set(s.device_id, s.pending_since);
      byRule.set(s.rule_id, m);
    }
    const openByRule = new Map<string, Map<string, string>>();
    for (const a of open) {
      const m = openByRule.get(a.rule_id) ?? new Map<string, string>();
      m.set(a.device_id, a.id);
      openByRule.set(a.rule_id, m);
    }
    let loaded = 0;
    for (const row of await this.d.store.enabled()) {
      try {
        await this.activate(row, byRule.get(row.id), openByRule.get(row.id) ?? new Map());
        loaded++;
      } catch (err) {
        this.d.log.error({ err, rule_id: row.id }, 'a stored rule could not be loaded; it stays inactive');
      }
    }
    return loaded;
  }

  /** Another node changed these rules (null: any rule): load them again from the database. */
  async reload(ids: readonly string[] | null): Promise<void> {
    const rows = ids === null ? await this.d.store.enabled() : await this.d.store.byIds(ids);
    const keep = new Set(rows.filter((r) => r.enabled === 1).map((r) => r.id));
    if (ids === null)
      for (const rule of [...this.d.engine.index.rules()]) if (!keep.has(rule.id)) this.d.engine.deactivate(rule);
    for (const id of ids ?? []) {
      if (keep.has(id)) continue;
      for (const rule of [...this.d.engine.index.rules()]) if (rule.id === id) this.d.engine.deactivate(rule);
    }
    for (const row of rows) if (row.enabled === 1) await this.activate(row);
  }

  private async activate(row: RuleRow, pending?: Map<string, number>, open?: Map<string, string>): Promise<void> {
    const record: RuleRecord = ruleRecord(row, this.d.box);
    const { logic } = validateRule(record);
    const openAlerts = open ?? (await this.d.alerts.openOf(row.id));
    await this.d.engine.activate(record, logic, { openAlerts, ...(pending ? { pending } : {}) });
  }

  private deactivate(row: RuleRow): void {
    const rule = this.d.engine.rule(row.organization_id, row.id);
    if (rule) this.d.engine.deactivate(rule);
  }

  private sealedActions(id: string, actions: RuleAction[]): { actions: string; actions_secret: string | null } {
    const { shown, secrets } = splitActionSecrets(actions);
    return {
      actions: JSON.stringify(shown),
      actions_secret: secrets ? this.d.box.seal(JSON.stringify(secrets), secretContext(id)) : null,
    };
  }

  private async checkTarget(organizationId: string, input: RuleInput): Promise<void> {
    if (!input.device_id) return;
    const device = await this.d.device(organizationId, input.device_id);
    if (!device)
      throw new FieldlineError(
        'FIELDLINE_ERR_VALIDATION',
        `device_id: no device '${input.device_id}' in this organization`,
        {
          errors: [{ field: 'device_id', message: `no device '${input.device_id}' in this organization` }],
        },
      );
  }
}

function derivedSeverity(actions: readonly RuleAction[]): Severity {
  let best: Severity | null = null;
  for (const a of actions)
    if (a.escalate_after === undefined && a.severity && (!best || SEVERITY_RANK[a.severity] > SEVERITY_RANK[best]))
      best = a.severity;
  return best ?? 'warning';
}
