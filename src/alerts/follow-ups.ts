import type { Clock, Logger } from '../kernel/index.js';
import type { RuleAction } from '../rules/index.js';

const MAX_TIMER_MS = 2_147_483_647;

/** What a follow-up does; each answers false when the alert is no longer active (acknowledged, resolved). */
export interface FollowUpHandler {
  /** Applies escalation `level` (1-based) with the action at `index`. */
  escalate(alertId: string, level: number, index: number): Promise<boolean>;
  /** Sends reminder number `occurrence` (1-based) of the action at `index`. */
  remind(alertId: string, index: number, occurrence: number): Promise<boolean>;
}

interface Reminder {
  index: number;
  base: number;
  everyMs: number;
  next: number;
  /** The escalation (0-based, in firing order) that must have fired first; null for immediate actions. */
  after: number | null;
}

interface Plan {
  alertId: string;
  level: number;
  escalations: { index: number; dueAt: number }[];
  reminders: Reminder[];
  timer: NodeJS.Timeout | null;
  running: boolean;
}

export interface AlertTiming {
  id: string;
  created_at: number;
  escalation_level: number;
}

/**
 * Reminders (`repeat_every`) and escalations (`escalate_after`) of active alerts. Every due time derives from
 * the alert's created_at and escalation level, so nothing but those needs storing: after a restart the plan is
 * rebuilt, the latest missed reminder is sent once (notifications are idempotent per alert, event, occurrence
 * and action), and the schedule goes on. One timer per alert that has follow-ups; none for the others.
 */
export class FollowUps {
  private readonly plans = new Map<string, Plan>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly handler: FollowUpHandler,
  ) {}

  get size(): number {
    return this.plans.size;
  }

  /** (Re)plans an active alert's follow-ups from its rule's current actions. */
  schedule(alert: AlertTiming, actions: readonly RuleAction[]): void {
    this.cancel(alert.id);
    const escalations = actions
      .map((a, index) => ({ index, after: a.escalate_after }))
      .filter((e): e is { index: number; after: number } => typeof e.after === 'number')
      .sort((x, y) => x.after - y.after || x.index - y.index)
      .map((e) => ({ index: e.index, dueAt: alert.created_at + e.after * 1000 }));
    const reminders: Reminder[] = [];
    actions.forEach((a, index) => {
      if (typeof a.repeat_every !== 'number' || a.type === 'alert') return;
      const k = escalations.findIndex((e) => e.index === index);
      reminders.push({
        index,
        base: k >= 0 ? (escalations[k] as { dueAt: number }).dueAt : alert.created_at,
        everyMs: a.repeat_every * 1000,
        next: 1,
        after: k >= 0 ? k : null,
      });
    });
    if (escalations.length <= alert.escalation_level && reminders.length === 0) return;
    const plan: Plan = {
      alertId: alert.id,
      level: alert.escalation_level,
      escalations,
      reminders,
      timer: null,
      running: false,
    };
    this.plans.set(alert.id, plan);
    this.arm(plan);
  }

  cancel(alertId: string): void {
    const plan = this.plans.get(alertId);
    if (!plan) return;
    if (plan.timer) clearTimeout(plan.timer);
    this.plans.delete(alertId);
  }

  stop(): void {
    for (const id of [...this.plans.keys()]) this.cancel(id);
  }

  private nextDue(plan: Plan): number {
    let due = plan.escalations[plan.level]?.dueAt ?? Number.POSITIVE_INFINITY;
    for (const r of plan.reminders)
      if (r.after === null || r.after < plan.level) due = Math.min(due, r.base + r.next * r.everyMs);
    return due;
  }

  private arm(plan: Plan): void {
    if (plan.timer) clearTimeout(plan.timer);
    plan.timer = null;
    const due = this.nextDue(plan);
    if (!Number.isFinite(due)) {
      this.plans.delete(plan.alertId);
      return;
    }
    plan.timer = setTimeout(
      () => {
        plan.timer = null;
        this.run(plan).catch((err: unknown) =>
          this.log.error({ err, alert_id: plan.alertId }, 'alert follow-up failed'),
        );
      },
      Math.min(MAX_TIMER_MS, Math.max(0, due - this.clock.now())),
    );
    plan.timer.unref();
  }

  private async run(plan: Plan): Promise<void> {
    if (plan.running || this.plans.get(plan.alertId) !== plan) return;
    plan.running = true;
    try {
      const now = this.clock.now();
      for (let e = plan.escalations[plan.level]; e && e.dueAt <= now; e = plan.escalations[plan.level]) {
        if (!(await this.handler.escalate(plan.alertId, plan.level + 1, e.index))) return this.cancel(plan.alertId);
        plan.level++;
      }
      for (const r of plan.reminders) {
        if (r.after !== null && r.after >= plan.level) continue;
        if (r.base + r.next * r.everyMs > now) continue;
        // After downtime only the latest missed reminder goes out, not one per missed period.
        const occurrence = Math.max(r.next, Math.floor((now - r.base) / r.everyMs));
        if (!(await this.handler.remind(plan.alertId, r.index, occurrence))) return this.cancel(plan.alertId);
        r.next = occurrence + 1;
      }
    } finally {
      plan.running = false;
    }
    if (this.plans.get(plan.alertId) === plan) this.arm(plan);
  }
}
