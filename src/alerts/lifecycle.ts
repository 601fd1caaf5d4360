import type { Principal } from '../auth/index.js';
import { type Clock, conflict, type EventBus, type FieldlineEvents, type Logger, notFound } from '../kernel/index.js';
import type { AlertNotice, Notifier, AlertEvent as NotifyEvent } from '../notify/index.js';
import type { AlertPort, CompiledRule, RuleAction, Witness } from '../rules/index.js';
import { FollowUps } from './follow-ups.js';
import type { AlertRow, AlertStore } from './store.js';
import { alertRecord, alertView, storeScalar } from './views.js';

/** Publishes an alert message on `{prefix}/alerts/{device_id}` to the MQTT subscribers of one organization. */
export type AlertPublisher = (organizationId: string, deviceId: string, payload: string) => Promise<void>;

export interface AlertLifecycleDeps {
  store: AlertStore;
  clock: Clock;
  log: Logger;
  bus: EventBus<FieldlineEvents>;
  notifier: Pick<Notifier, 'enqueueAlertNotifications'> | null;
  publish: AlertPublisher | null;
  device: (id: string) => Promise<{ name: string; deviceType: string } | null>;
  /** The rule as the engine runs it now (its current actions); undefined when disabled or deleted. */
  ruleOf: (organizationId: string, ruleId: string) => CompiledRule | undefined;
  /** Tells the engine an alert closed by other means than its condition (a person, a deletion). */
  onClosed: (organizationId: string, ruleId: string, deviceId: string, alertId: string) => void;
}

/** How long a device's name is reused for alert messages without asking the registry. */
const DEVICE_TTL_MS = 60_000;

/** How far back a start re-enqueues raise/resolve notifications (idempotent) that a crash may have lost. */
const RECONCILE_MS = 86_400_000;

/**
 * Alerts from raise to resolve: one row per episode (the database refuses a second open one per rule×device),
 * `alert.raised`/`alert.updated` on the bus and on MQTT, notifications recorded in the outbox for the rule's
 * actions (raised, resolved, reminders, escalations). Operations on one rule×device run one after the other.
 */
export class AlertLifecycle implements AlertPort {
  readonly followUps: FollowUps;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly devices = new Map<string, { device: { name: string; deviceType: string } | null; at: number }>();

  constructor(private readonly d: AlertLifecycleDeps) {
    this.followUps = new FollowUps(d.clock, d.log, {
      escalate: (id, level, index) => this.escalate(id, level, index),
      remind: (id, index, occurrence) => this.remind(id, index, occurrence),
    });
  }

  // ——— the engine's port ———

  raise(rule: CompiledRule, deviceId: string, w: Witness, alertId: string): Promise<string | null> {
    return this.serial(rule.id, deviceId, async () => {
      const now = this.d.clock.now();
      // The common case runs without a single await up to the announcement: the device from this lifecycle's
      // cache, the row by a synchronous insert (SQLite) — an await would queue behind every other continuation.
      const device = this.cachedDevice(deviceId) ?? (await this.lookupDevice(deviceId));
      const message = rule.message(w, {
        id: deviceId,
        name: device?.name ?? null,
        deviceType: device?.deviceType ?? null,
      });
      const row: AlertRow = {
        id: alertId,
        organization_id: rule.organizationId,
        rule_id: rule.id,
        rule_name: rule.name,
        device_id: deviceId,
        severity: rule.record.severity,
        status: 'active',
        message: message.slice(0, 4000),
        value: storeScalar(w.value),
        threshold: storeScalar(w.threshold),
        escalation_level: 0,
        created_at: now,
        updated_at: now,
        acknowledged_at: null,
        acknowledged_by: null,
        notes: null,
        resolved_at: null,
        resolved_by: null,
      };
      const { created, row: stored } = this.d.store.insertOpenNow(row) ?? (await this.d.store.insertOpen(row));
      // An alert already open for this rule×device (another node, a restart race) is the episode's alert.
      if (!created) return stored.id;
      this.announce('alert.raised', stored, device?.name ?? null);
      await this.notify(stored, rule, 'alert.raised', immediate(rule.record.actions), 0, device?.name ?? null);
      this.followUps.schedule(stored, rule.record.actions);
      return stored.id;
    });
  }

  resolve(rule: CompiledRule, deviceId: string, alertId: string): Promise<void> {
    return this.serial(rule.id, deviceId, async () => {
      const row = await this.d.store.resolve(alertId, this.d.clock.now(), 'auto');
      if (row) await this.closed(row, rule, true);
    });
  }

  // ——— people ———

  async acknowledge(principal: Principal, id: string, by?: string, notes?: string | null): Promise<AlertRow> {
    const current = await this.d.store.byId(principal.organizationId, id);
    if (!current) throw notFound('alert', id);
    if (current.status === 'resolved') throw conflict(`Alert '${id}' is resolved; there is nothing to acknowledge`);
    return this.serial(current.rule_id, current.device_id, async () => {
      const row = await this.d.store.acknowledge(id, this.d.clock.now(), by ?? principal.name, notes);
      if (!row) throw conflict(`Alert '${id}' was resolved meanwhile`);
      this.followUps.cancel(id);
      this.announce('alert.updated', row, await this.deviceName(row.device_id));
      return row;
    });
  }

  async resolveByUser(principal: Principal, id: string, notes?: string | null): Promise<AlertRow> {
    const current = await this.d.store.byId(principal.organizationId, id);
    if (!current) throw notFound('alert', id);
    if (current.status === 'resolved') throw conflict(`Alert '${id}' is already resolved`);
    return this.serial(current.rule_id, current.device_id, async () => {
      const row = await this.d.store.resolve(id, this.d.clock.now(), principal.name, notes);
      if (!row) throw conflict(`Alert '${id}' was resolved meanwhile`);
      await this.closed(row, this.d.ruleOf(row.organization_id, row.rule_id), true);
      return row;
    });
  }

  /** Closes the open alerts of a deleted rule or device, without notifying anyone (nothing was fixed). */
  async closeAll(rows: AlertRow[], reason: string): Promise<void> {
    for (const open of rows) {
      await this.serial(open.rule_id, open.device_id, async () => {
        const row = await this.d.store.resolve(open.id, this.d.clock.now(), 'system', reason);
        if (row) await this.closed(row, undefined, false);
      });
    }
  }

  // ——— start and stop ———

  /**
   * After a restart: follow-ups of active alerts are planned again, and raise/resolve notifications of the
   * last day are enqueued again — a no-op for those already in the outbox (idempotency keys), the recovery for
   * a crash between writing an alert and writing its notifications.
   */
  async restore(open: AlertRow[]): Promise<void> {
    const since = this.d.clock.now() - RECONCILE_MS;
    for (const row of open) {
      const rule = this.d.ruleOf(row.organization_id, row.rule_id);
      if (!rule) continue;
      if (row.status === 'active') this.followUps.schedule(row, rule.record.actions);
      if (row.created_at >= since) await this.notify(row, rule, 'alert.raised', immediate(rule.record.actions), 0);
    }
    for (const row of await this.d.store.resolvedSince(since, 1000)) {
      const rule = this.d.ruleOf(row.organization_id, row.rule_id);
      if (rule)
        await this.notify(row, rule, 'alert.resolved', notifiedOf(rule.record.actions, row.escalation_level), 0);
    }
  }

  /** Plans follow-ups again for a rule's open alerts (its actions changed). */
  async replan(rule: CompiledRule): Promise<void> {
    for (const row of await this.d.store.openOfRule(rule.id))
      if (row.status === 'active') this.followUps.schedule(row, rule.record.actions);
  }

  async stop(): Promise<void> {
    this.followUps.stop();
    await Promise.allSettled([...this.chains.values()]);
  }

  // ——— follow-ups ———

  private async escalate(alertId: string, level: number, index: number): Promise<boolean> {
    const current = await this.d.store.get(alertId);
    const rule = current && this.d.ruleOf(current.organization_id, current.rule_id);
    if (!current || !rule || current.status !== 'active') return false;
    const action = rule.record.actions[index];
    const to = action?.severity;
    const severity = to && (RANK[to] ?? 0) > (RANK[current.severity] ?? 0) ? to : current.severity;
    const row = await this.d.store.escalate(alertId, level, severity, this.d.clock.now());
    if (!row) return false;
    this.announce('alert.updated', row, await this.deviceName(row.device_id));
    await this.notify(row, rule, 'alert.escalated', only(rule.record.actions, index), level);
    return true;
  }

  private async remind(alertId: string, index: number, occurrence: number): Promise<boolean> {
    const row = await this.d.store.get(alertId);
    const rule = row && this.d.ruleOf(row.organization_id, row.rule_id);
    if (!row || !rule || row.status !== 'active') return false;
    await this.notify(row, rule, 'alert.reminder', only(rule.record.actions, index), occurrence);
    return true;
  }

  // ——— shared steps ———

  private async closed(row: AlertRow, rule: CompiledRule | undefined, tell: boolean): Promise<void> {
    this.followUps.cancel(row.id);
    this.d.onClosed(row.organization_id, row.rule_id, row.device_id, row.id);
    const name = await this.deviceName(row.device_id);
    this.announce('alert.updated', row, name);
    if (tell && rule)
      await this.notify(row, rule, 'alert.resolved', notifiedOf(rule.record.actions, row.escalation_level), 0, name);
  }

  private announce(event: 'alert.raised' | 'alert.updated', row: AlertRow, deviceName: string | null): void {
    this.d.bus.emit(event, { organization_id: row.organization_id, alert: alertRecord(row) });
    this.d
      .publish?.(row.organization_id, row.device_id, JSON.stringify({ event, alert: alertView(row, deviceName) }))
      .catch((err: unknown) => this.d.log.warn({ err, alert_id: row.id }, 'publishing the alert on MQTT failed'));
  }

  /** Records the notifications of `actions` (others replaced by a no-op, so indexes stay the rule's). */
  private async notify(
    row: AlertRow,
    rule: CompiledRule,
    event: NotifyEvent,
    actions: ({ type: string; [key: string]: unknown } | null)[],
    occurrence: number,
    deviceName?: string | null,
  ): Promise<void> {
    const notifier = this.d.notifier;
    if (!notifier || !actions.some((a) => a !== null && a.type !== 'alert')) return;
    const record = alertRecord(row);
    const notice: AlertNotice = {
      ...record,
      organization_id: row.organization_id,
      rule_name: rule.name,
      device_name: deviceName === undefined ? await this.deviceName(row.device_id) : deviceName,
    };
    try {
      await notifier.enqueueAlertNotifications(
        notice,
        actions.map((a) => a ?? { type: 'alert' }),
        { event, occurrence },
      );
    } catch (err) {
      this.d.log.error({ err, alert_id: row.id, event }, 'recording alert notifications failed');
    }
  }

  private async deviceName(id: string): Promise<string | null> {
    try {
      return (this.cachedDevice(id) ?? (await this.lookupDevice(id)))?.name ?? null;
    } catch {
      return null;
    }
  }

  /** The device as last looked up, if that was less than a minute ago (renames reach it via forgetDevice). */
  private cachedDevice(id: string): { name: string; deviceType: string } | null | undefined {
    const hit = this.devices.get(id);
    return hit && this.d.clock.now() - hit.at < DEVICE_TTL_MS ? hit.device : undefined;
  }

  private async lookupDevice(id: string): Promise<{ name: string; deviceType: string } | null> {
    const device = await this.d.device(id);
    if (this.devices.size >= 10_000) this.devices.clear();
    this.devices.set(id, { device, at: this.d.clock.now() });
    return device;
  }

  /** A device changed or went away: its name is looked up again next time. */
  forgetDevice(id: string): void {
    this.devices.delete(id);
  }

  private serial<T>(ruleId: string, deviceId: string, work: () => Promise<T>): Promise<T> {
    const key = `${ruleId}\u0000${deviceId}`;
    const previous = this.chains.get(key);
    // Nothing running for this rule×device: start at once, without a detour through the microtask queue.
    const run = previous ? previous.catch(() => undefined).then(work) : work();
    this.chains.set(key, run);
    const forget = () => {
      if (this.chains.get(key) === run) this.chains.delete(key);
    };
    run.then(forget, forget);
    return run;
  }
}

const RANK: Record<string, number> = { info: 1, warning: 2, critical: 3 };

type Selected = ({ type: string; [key: string]: unknown } | null)[];

/** Actions that notify when an alert is raised: all but the escalations. */
const immediate = (actions: readonly RuleAction[]): Selected =>
  actions.map((a) => (a.escalate_after === undefined ? a : null));

/** Who hears of the resolution: those told of the raise, and the escalations that fired. */
function notifiedOf(actions: readonly RuleAction[], level: number): Selected {
  const fired = new Set(
    actions
      .map((a, index) => ({ index, after: a.escalate_after }))
      .filter((e): e is { index: number; after: number } => typeof e.after === 'number')
      .sort((x, y) => x.after - y.after || x.index - y.index)
      .slice(0, level)
      .map((e) => e.index),
  );
  return actions.map((a, i) => (a.escalate_after === undefined || fired.has(i) ? a : null));
}

const only = (actions: readonly RuleAction[], index: number): Selected =>
  actions.map((a, i) => (i === index ? a : null));
