import { Cron } from 'croner';
import type { FieldProblem } from '../kernel/index.js';
import {
  type ConditionSpec,
  isOperator,
  type LeafSpec,
  OPERATORS,
  type Operator,
  type RuleLogic,
  type RuleType,
  type Scalar,
  STAT_FUNCTIONS,
  type StatFunction,
  type TimeCheck,
} from './model.js';
import { isOrdering } from './operators.js';

/** Longest duration, window or silence a rule may ask for: 30 days. */
export const MAX_SECONDS = 30 * 86_400;
const MAX_CHILDREN = 20;
const MAX_DEPTH = 4;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a rule's `conditions` for its `rule_type` and turns them into the engine's normalized logic.
 * Every problem names its field from the body's root (`conditions.operator`, `conditions.any.1.window`), so a
 * client can point at it; the validator goes on after a problem to report them all at once.
 */
export function validateConditions(
  ruleType: RuleType,
  conditions: unknown,
): { logic?: RuleLogic; problems: FieldProblem[] } {
  const v = new Checker();
  const logic = v.rule(ruleType, conditions);
  return v.problems.length ? { problems: v.problems } : { logic: logic as RuleLogic, problems: [] };
}

class Checker {
  readonly problems: FieldProblem[] = [];

  fail(field: string, message: string): undefined {
    this.problems.push({ field, message });
    return undefined;
  }

  rule(ruleType: RuleType, c: unknown): RuleLogic | undefined {
    const at = 'conditions';
    if (!isObject(c)) return this.fail(at, 'must be an object');
    switch (ruleType) {
      case 'threshold':
      case 'comparison':
      case 'statistical': {
        this.known(c, at, [...LEAF_FIELDS[ruleType], 'duration']);
        const condition = this.leaf(ruleType, c, at);
        const durationMs = this.duration(c, at);
        return condition && durationMs !== undefined ? { type: 'streaming', condition, durationMs } : undefined;
      }
      case 'compound': {
        this.known(c, at, ['all', 'any', 'duration']);
        const condition = this.compound(c, at, 1);
        const durationMs = this.duration(c, at);
        return condition && durationMs !== undefined ? { type: 'streaming', condition, durationMs } : undefined;
      }
      case 'time_based':
        return this.timeBased(c, at);
    }
  }

  private known(c: Obj, at: string, allowed: readonly string[]): void {
    for (const k of Object.keys(c)) if (!allowed.includes(k)) this.fail(`${at}.${k}`, 'is not a known field');
  }

  private duration(c: Obj, at: string): number | undefined {
    if (c.duration === undefined || c.duration === null) return 0;
    const s = this.seconds(c.duration, `${at}.duration`, 0);
    return s === undefined ? undefined : Math.round(s * 1000);
  }

  private seconds(v: unknown, field: string, min: number): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(field, 'must be a number of seconds');
    if (v < min || v > MAX_SECONDS)
      return this.fail(field, `must be between ${min} and ${MAX_SECONDS} seconds (30 days)`);
    return v;
  }

  private key(v: unknown, field: string): string | undefined {
    if (typeof v !== 'string' || v.length === 0)
      return this.fail(field, 'must be a telemetry key (a non-empty string)');
    if (v.length > 128) return this.fail(field, 'must be at most 128 characters');
    if (/[/+#]/.test(v) || [...v].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20))
      return this.fail(field, 'must not contain /, +, # or control characters');
    return v;
  }

  private operator(v: unknown, field: string): Operator | undefined {
    if (v === undefined) return this.fail(field, `is required (one of ${OPERATORS.join(' ')})`);
    if (!isOperator(v)) return this.fail(field, `must be one of ${OPERATORS.join(' ')}`);
    return v;
  }

  private number(v: unknown, field: string): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(field, 'must be a number');
    return v;
  }

  private thresholdValue(v: unknown, op: Operator | undefined, field: string): Scalar | undefined {
    if (v === undefined) return this.fail(field, 'is required');
    if (typeof v === 'number') return Number.isFinite(v) ? v : this.fail(field, 'must be a finite number');
    if (typeof v === 'string' || typeof v === 'boolean') {
      if (typeof v === 'string' && v.length > 4096) return this.fail(field, 'must be at most 4096 characters');
      if (op && isOrdering(op))
        return this.fail(field, `must be a number for operator ${op} (text and true/false compare with == or != only)`);
      return v;
    }
    return this.fail(field, 'must be a number, a string or true/false');
  }

  leaf(type: 'threshold' | 'comparison' | 'statistical', c: Obj, at: string): LeafSpec | undefined {
    switch (type) {
      case 'threshold': {
        const key = this.key(c.key, `${at}.key`);
        const operator = this.operator(c.operator, `${at}.operator`);
        const value = this.thresholdValue(c.value, operator, `${at}.value`);
        return key !== undefined && operator && value !== undefined
          ? { kind: 'threshold', key, operator, value }
          : undefined;
      }
      case 'comparison': {
        const key1 = this.key(c.key1, `${at}.key1`);
        const key2 = this.key(c.key2, `${at}.key2`);
        const operator = this.operator(c.operator, `${at}.operator`);
        const offset = c.offset === undefined || c.offset === null ? 0 : this.number(c.offset, `${at}.offset`);
        if (key1 !== undefined && key1 === key2) this.fail(`${at}.key2`, 'must name another key than key1');
        return key1 !== undefined && key2 !== undefined && key1 !== key2 && operator && offset !== undefined
          ? { kind: 'comparison', key1, operator, key2, offset }
          : undefined;
      }
      case 'statistical': {
        const key = this.key(c.key, `${at}.key`);
        let fn: StatFunction | undefined;
        if (typeof c.function === 'string' && (STAT_FUNCTIONS as readonly string[]).includes(c.function))
          fn = c.function as StatFunction;
        else this.fail(`${at}.function`, `must be one of ${STAT_FUNCTIONS.join(', ')}`);
        const window =
          c.window === undefined
            ? this.fail(`${at}.window`, 'is required (seconds)')
            : this.seconds(c.window, `${at}.window`, 1);
        const operator = this.operator(c.operator, `${at}.operator`);
        const value =
          c.value === undefined ? this.fail(`${at}.value`, 'is required') : this.number(c.value, `${at}.value`);
        return key !== undefined && fn && window !== undefined && operator && value !== undefined
          ? { kind: 'statistical', key, fn, windowMs: Math.round(window * 1000), operator, value }
          : undefined;
      }
    }
  }

  private compound(c: Obj, at: string, depth: number): ConditionSpec | undefined {
    const hasAll = c.all !== undefined;
    const hasAny = c.any !== undefined;
    if (hasAll === hasAny) return this.fail(at, 'must have either "all" or "any" (a list of conditions)');
    const kind = hasAll ? 'all' : 'any';
    const list = c[kind];
    const field = `${at}.${kind}`;
    if (!Array.isArray(list) || list.length === 0) return this.fail(field, 'must be a non-empty list of conditions');
    if (list.length > MAX_CHILDREN) return this.fail(field, `must have at most ${MAX_CHILDREN} conditions`);
    if (depth > MAX_DEPTH) return this.fail(field, `nests deeper than ${MAX_DEPTH} levels`);
    const children: ConditionSpec[] = [];
    list.forEach((item, i) => {
      const child = this.child(item, `${field}.${i}`, depth);
      if (child) children.push(child);
    });
    return children.length === list.length ? { kind, children } : undefined;
  }

  /** A condition inside all/any: its type is given (`type`/`rule_type`) or read from its shape. */
  private child(item: unknown, at: string, depth: number): ConditionSpec | undefined {
    if (!isObject(item)) return this.fail(at, 'must be an object (a condition)');
    if (item.all !== undefined || item.any !== undefined) {
      this.known(item, at, ['all', 'any']);
      return this.compound(item, at, depth + 1);
    }
    const named = item.type ?? item.rule_type;
    const typeField = item.type !== undefined ? 'type' : 'rule_type';
    let type: 'threshold' | 'comparison' | 'statistical';
    if (named !== undefined) {
      if (named !== 'threshold' && named !== 'comparison' && named !== 'statistical')
        return this.fail(`${at}.${typeField}`, 'must be threshold, comparison or statistical (or use all/any)');
      type = named;
    } else
      type =
        item.key1 !== undefined || item.key2 !== undefined
          ? 'comparison'
          : item.function !== undefined
            ? 'statistical'
            : 'threshold';
    if (item.duration !== undefined)
      return this.fail(`${at}.duration`, 'is not allowed inside all/any; set duration on the compound condition');
    this.known(item, at, [...LEAF_FIELDS[type], 'type', 'rule_type']);
    return this.leaf(type, item, at);
  }

  private timeBased(c: Obj, at: string): RuleLogic | undefined {
    this.known(c, at, ['schedule', 'timezone', 'check', 'key', 'seconds', 'operator', 'value', 'duration']);
    const check = this.check(c, at);
    let timezone: string | null = null;
    if (c.timezone !== undefined && c.timezone !== null) {
      if (typeof c.timezone !== 'string' || !validTimezone(c.timezone))
        this.fail(`${at}.timezone`, 'must be an IANA time zone such as Europe/Berlin or UTC');
      else timezone = c.timezone;
    }
    if (c.schedule === undefined || c.schedule === null) {
      if (check?.kind === 'threshold')
        return this.fail(
          `${at}.schedule`,
          'is required for a threshold check (a threshold without a schedule is a threshold rule)',
        );
      if (timezone) this.fail(`${at}.timezone`, 'needs a schedule');
      const durationMs = check?.kind === 'device_offline' ? this.duration(c, at) : 0;
      if (check?.kind === 'no_data' && c.duration !== undefined)
        this.fail(`${at}.duration`, 'does not apply to no_data (its seconds are the silence that fires it)');
      return check && durationMs !== undefined && this.problems.length === 0
        ? { type: 'continuous', check, durationMs }
        : undefined;
    }
    if (typeof c.schedule !== 'string' || c.schedule.trim() === '')
      return this.fail(`${at}.schedule`, 'must be a cron expression such as "0 8 * * *"');
    if (c.duration !== undefined) this.fail(`${at}.duration`, 'does not apply to a scheduled check');
    const cronProblem = cronError(c.schedule, timezone);
    if (cronProblem) return this.fail(`${at}.schedule`, cronProblem);
    return check && this.problems.length === 0 ? { type: 'scheduled', cron: c.schedule, timezone, check } : undefined;
  }

  /**
   * The check, in any of the forms users write: `"device_offline"`, `"no_data"` with `seconds` (and `key`)
   * beside it, `{type: "no_data", seconds, key?}`, or `{no_data: {seconds, key?}}`; likewise for threshold.
   */
  private check(c: Obj, at: string): TimeCheck | undefined {
    const field = `${at}.check`;
    let kind: unknown;
    let body: Obj;
    let bodyAt: string;
    if (typeof c.check === 'string') {
      kind = c.check;
      body = c;
      bodyAt = at;
    } else if (isObject(c.check)) {
      const keys = Object.keys(c.check);
      if (c.check.type !== undefined) {
        kind = c.check.type;
        body = c.check;
        bodyAt = field;
      } else if (keys.length === 1 && CHECKS.includes(keys[0] as string)) {
        kind = keys[0];
        const inner = c.check[kind as string];
        body = isObject(inner) ? inner : {};
        bodyAt = `${field}.${kind as string}`;
      } else return this.fail(field, `must name its check: ${CHECKS.join(', ')}`);
    } else return this.fail(field, `is required: one of ${CHECKS.join(', ')}`);
    const checkFields = (allowed: string[]) => {
      const flat = ['key', 'seconds', 'operator', 'value'];
      if (body === c) {
        for (const k of flat)
          if (!allowed.includes(k) && c[k] !== undefined) this.fail(`${at}.${k}`, `does not apply to ${String(kind)}`);
        return;
      }
      this.known(body, bodyAt, ['type', ...allowed]);
      for (const k of flat) if (c[k] !== undefined) this.fail(`${at}.${k}`, 'belongs inside check');
    };
    switch (kind) {
      case 'device_offline':
        checkFields([]);
        return { kind: 'device_offline' };
      case 'no_data': {
        checkFields(['key', 'seconds']);
        const key = body.key === undefined || body.key === null ? null : this.key(body.key, `${bodyAt}.key`);
        const seconds =
          body.seconds === undefined
            ? this.fail(`${bodyAt}.seconds`, 'is required (the silence, in seconds)')
            : this.seconds(body.seconds, `${bodyAt}.seconds`, 1);
        return key !== undefined && seconds !== undefined ? { kind: 'no_data', key, seconds } : undefined;
      }
      case 'threshold': {
        checkFields(['key', 'operator', 'value']);
        const t = this.leaf('threshold', body, bodyAt);
        return t && t.kind === 'threshold'
          ? { kind: 'threshold', key: t.key, operator: t.operator, value: t.value }
          : undefined;
      }
      default:
        return this.fail(typeof c.check === 'string' ? field : `${field}.type`, `must be one of ${CHECKS.join(', ')}`);
    }
  }
}

const CHECKS = ['device_offline', 'no_data', 'threshold'];
const LEAF_FIELDS = {
  threshold: ['key', 'operator', 'value'],
  comparison: ['key1', 'operator', 'key2', 'offset'],
  statistical: ['key', 'function', 'window', 'operator', 'value'],
} as const;

export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function cronError(pattern: string, timezone: string | null): string | null {
  try {
    const job = new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) });
    const next = job.nextRun();
    job.stop();
    return next === null ? 'never runs' : null;
  } catch (err) {
    return `is not a cron expression (${err instanceof Error ? err.message : String(err)})`;
  }
}
