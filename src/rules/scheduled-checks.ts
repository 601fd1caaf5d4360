import { Cron } from 'croner';
import type { Clock, Logger } from '../kernel/index.js';
import type { DeviceFacts, Sample, Witness } from './condition.js';
import type { FactSource } from './engine.js';
import type { CompiledRule } from './rule-runtime.js';

export interface ScheduledChecksDeps {
  facts: FactSource;
  log: Logger;
  clock: Clock;
  isActive(rule: CompiledRule): boolean;
  apply(rule: CompiledRule, deviceId: string, result: boolean | null, witness: Witness | null): void;
}

/**
 * Time-based rules with a schedule: a croner job per rule (in the rule's time zone) checks every device in the
 * rule's scope when it runs — offline, silent for N seconds, or a latest value past a threshold — and moves
 * each rule×device through the same state machine as streaming rules.
 */
export class ScheduledChecks {
  constructor(private readonly d: ScheduledChecksDeps) {}

  start(rule: CompiledRule): void {
    if (rule.logic.type !== 'scheduled') return;
    const { cron, timezone } = rule.logic;
    // protect: a run that takes longer than the interval is not started twice.
    rule.cron = new Cron(cron, { protect: true, unref: true, ...(timezone ? { timezone } : {}) }, () =>
      this.run(rule).catch((err: unknown) => this.d.log.error({ err, rule_id: rule.id }, 'scheduled rule failed')),
    );
  }

  async run(rule: CompiledRule): Promise<void> {
    if (rule.logic.type !== 'scheduled' || !this.d.isActive(rule)) return;
    const check = rule.logic.check;
    const devices = await this.d.facts.devicesInScope(rule.organizationId, rule.target);
    const now = this.d.clock.now();
    for (const device of devices) {
      if (!device.active || !this.d.isActive(rule)) continue;
      switch (check.kind) {
        case 'device_offline': {
          // A device never heard from is not "offline", it is not installed yet.
          if (device.lastSeen === null) continue;
          const status = this.d.facts.statusOf(device.id) ?? device.status;
          this.d.apply(rule, device.id, status === 'offline', {
            value: 'offline',
            threshold: null,
            key: 'status',
            operator: '==',
          });
          break;
        }
        case 'no_data': {
          let last = rule.lastData.get(device.id) ?? null;
          if (last === null) {
            if (check.key) last = (await this.d.facts.latest(device.id, [check.key]))[check.key]?.ts ?? null;
            else last = device.lastSeen;
          }
          if (last === null) continue;
          const silentMs = now - last;
          this.d.apply(rule, device.id, silentMs >= check.seconds * 1000, {
            value: Math.round(silentMs / 1000),
            threshold: check.seconds,
            key: check.key ?? 'data',
            operator: '>=',
          });
          break;
        }
        case 'threshold': {
          const condition = rule.condition;
          if (!condition) continue;
          const latest = await this.d.facts.latest(device.id, [check.key]);
          const facts = factsOf(latest);
          this.d.apply(rule, device.id, condition.evaluate(facts), condition.witness(facts));
          break;
        }
      }
    }
  }
}

/** Facts from a set of latest values (no windows). */
export const factsOf = (latest: Record<string, Sample>): DeviceFacts => ({
  latest: (key) => latest[key],
  window: () => undefined,
});
