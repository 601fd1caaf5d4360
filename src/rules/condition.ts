import type {
  ComparisonSpec,
  CompoundSpec,
  ConditionSpec,
  Operator,
  Scalar,
  StatisticalSpec,
  ThresholdSpec,
} from './model.js';
import { compareNumbers, compareReading, numeric } from './operators.js';
import type { SlidingWindow } from './sliding-window.js';

/** A device's last value of one key. */
export interface Sample {
  ts: number;
  value: unknown;
}

/** What a condition may read about one device: latest values and sliding windows of the keys it watches. */
export interface DeviceFacts {
  latest(key: string): Sample | undefined;
  window(key: string, windowMs: number): SlidingWindow | undefined;
}

/** The facts an alert records: the value that fired, the threshold it crossed, and how to say so. */
export interface Witness {
  value: unknown;
  threshold: unknown;
  key: string;
  operator: string;
  /** Where a threshold came from when it is not a constant (`setpoint + 2`). */
  thresholdLabel?: string;
}

/** One line of the readable trace POST /rules/{id}/test answers. */
export interface TraceNode {
  condition: string;
  /** true / false, or null when it cannot be judged (no value yet, a value of another kind). */
  result: boolean | null;
  value?: unknown;
  threshold?: unknown;
  detail?: string;
  children?: TraceNode[];
}

export interface WindowSpec {
  key: string;
  windowMs: number;
}

/**
 * A compiled condition. evaluate() is the hot path: no allocation, three-valued (null = unknown, which never
 * changes a rule's state). witness() and explain() run only when an alert is raised or a rule is tested.
 */
export interface Condition {
  readonly keys: readonly string[];
  readonly windows: readonly WindowSpec[];
  evaluate(f: DeviceFacts): boolean | null;
  witness(f: DeviceFacts): Witness;
  explain(f: DeviceFacts): TraceNode;
  describe(): string;
}

const show = (v: Scalar): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

class ThresholdCondition implements Condition {
  readonly keys: string[];
  readonly windows: WindowSpec[] = [];
  // Copied out of the spec: the hot path reads them from this object only (one less pointer to chase).
  private readonly key: string;
  private readonly op: Operator;
  private readonly value: Scalar;
  private readonly numeric: boolean;
  constructor(private readonly s: Pick<ThresholdSpec, 'key' | 'operator' | 'value'>) {
    this.keys = [s.key];
    this.key = s.key;
    this.op = s.operator;
    this.value = s.value;
    this.numeric = typeof s.value === 'number';
  }
  evaluate(f: DeviceFacts): boolean | null {
    const sample = f.latest(this.key);
    if (sample === undefined) return null;
    const v = sample.value;
    if (this.numeric && typeof v === 'number') return compareNumbers(this.op, v, this.value as number);
    return compareReading(this.op, v, this.value);
  }
  witness(f: DeviceFacts): Witness {
    return {
      value: f.latest(this.s.key)?.value ?? null,
      threshold: this.s.value,
      key: this.s.key,
      operator: this.s.operator,
    };
  }
  explain(f: DeviceFacts): TraceNode {
    const sample = f.latest(this.s.key);
    const result = this.evaluate(f);
    return {
      condition: this.describe(),
      result,
      value: sample?.value ?? null,
      threshold: this.s.value,
      detail:
        sample === undefined
          ? `no value of ${this.s.key} yet`
          : result === null
            ? `${this.s.key} = ${JSON.stringify(sample.value)} cannot be compared with ${show(this.s.value)}`
            : `${this.s.key} = ${JSON.stringify(sample.value)} ${result ? 'is' : 'is not'} ${this.s.operator} ${show(this.s.value)}`,
    };
  }
  describe(): string {
    return `${this.s.key} ${this.s.operator} ${show(this.s.value)}`;
  }
}

class ComparisonCondition implements Condition {
  readonly keys: string[];
  readonly windows: WindowSpec[] = [];
  private readonly key1: string;
  private readonly key2: string;
  private readonly op: Operator;
  private readonly offset: number;
  constructor(private readonly s: ComparisonSpec) {
    this.keys = [s.key1, s.key2];
    this.key1 = s.key1;
    this.key2 = s.key2;
    this.op = s.operator;
    this.offset = s.offset;
  }
  private operands(f: DeviceFacts): { a: unknown; b: unknown } {
    return { a: f.latest(this.s.key1)?.value, b: f.latest(this.s.key2)?.value };
  }
  evaluate(f: DeviceFacts): boolean | null {
    const a = f.latest(this.key1)?.value;
    const b = f.latest(this.key2)?.value;
    const x = numeric(a);
    const y = numeric(b);
    if (x !== null && y !== null) return compareNumbers(this.op, x, y + this.offset);
    // Text against text compares for equality (a state against its expected state).
    if (typeof a === 'string' && typeof b === 'string' && this.offset === 0)
      return this.op === '==' ? a === b : this.op === '!=' ? a !== b : null;
    return null;
  }
  private thresholdOf(f: DeviceFacts): unknown {
    const b = this.operands(f).b;
    const y = numeric(b);
    return y === null ? (b ?? null) : y + this.s.offset;
  }
  private label(): string {
    return this.s.offset ? `${this.s.key2} ${this.s.offset > 0 ? '+' : '−'} ${Math.abs(this.s.offset)}` : this.s.key2;
  }
  witness(f: DeviceFacts): Witness {
    return {
      value: this.operands(f).a ?? null,
      threshold: this.thresholdOf(f),
      key: this.s.key1,
      operator: this.s.operator,
      thresholdLabel: this.label(),
    };
  }
  explain(f: DeviceFacts): TraceNode {
    const { a, b } = this.operands(f);
    const result = this.evaluate(f);
    const missing = [a === undefined ? this.s.key1 : null, b === undefined ? this.s.key2 : null].filter(Boolean);
    return {
      condition: this.describe(),
      result,
      value: a ?? null,
      threshold: this.thresholdOf(f),
      detail: missing.length
        ? `no value of ${missing.join(' and ')} yet`
        : result === null
          ? `${this.s.key1} = ${JSON.stringify(a)} and ${this.s.key2} = ${JSON.stringify(b)} cannot be compared with ${this.s.operator}`
          : `${this.s.key1} = ${JSON.stringify(a)} ${result ? 'is' : 'is not'} ${this.s.operator} ${this.label()} = ${JSON.stringify(this.thresholdOf(f))}`,
    };
  }
  describe(): string {
    return `${this.s.key1} ${this.s.operator} ${this.label()}`;
  }
}

class StatisticalCondition implements Condition {
  readonly keys: string[];
  readonly windows: WindowSpec[];
  private readonly key: string;
  private readonly windowMs: number;
  private readonly fn: StatisticalSpec['fn'];
  private readonly op: Operator;
  private readonly value: number;
  constructor(private readonly s: StatisticalSpec) {
    this.keys = [s.key];
    this.windows = [{ key: s.key, windowMs: s.windowMs }];
    this.key = s.key;
    this.windowMs = s.windowMs;
    this.fn = s.fn;
    this.op = s.operator;
    this.value = s.value;
  }
  private statOf(f: DeviceFacts): { value: number | null; count: number; warm: boolean } {
    const w = f.window(this.s.key, this.s.windowMs);
    if (!w) return { value: this.s.fn === 'count' ? 0 : null, count: 0, warm: true };
    return { value: w.stat(this.s.fn), count: w.count, warm: w.warm };
  }
  evaluate(f: DeviceFacts): boolean | null {
    const w = f.window(this.key, this.windowMs);
    if (!w?.warm) return null;
    const v = w.stat(this.fn);
    return v === null ? null : compareNumbers(this.op, v, this.value);
  }
  witness(f: DeviceFacts): Witness {
    return { value: this.statOf(f).value, threshold: this.s.value, key: this.subject(), operator: this.s.operator };
  }
  explain(f: DeviceFacts): TraceNode {
    const { value, count, warm } = this.statOf(f);
    const result = warm && value !== null ? compareNumbers(this.s.operator, value, this.s.value) : null;
    return {
      condition: this.describe(),
      result,
      value,
      threshold: this.s.value,
      detail: !warm
        ? 'the window is still loading its history'
        : value === null
          ? `no numeric ${this.s.key} in the last ${this.s.windowMs / 1000} s`
          : `${this.subject()} = ${value} over ${count} point(s) ${result ? 'is' : 'is not'} ${this.s.operator} ${this.s.value}`,
    };
  }
  private subject(): string {
    return `${this.s.fn}(${this.s.key}, ${this.s.windowMs / 1000} s)`;
  }
  describe(): string {
    return `${this.subject()} ${this.s.operator} ${this.s.value}`;
  }
}

class CompoundCondition implements Condition {
  readonly keys: string[];
  readonly windows: WindowSpec[];
  private readonly children: Condition[];
  private readonly all: boolean;
  constructor(s: CompoundSpec) {
    this.all = s.kind === 'all';
    this.children = s.children.map(compileCondition);
    this.keys = [...new Set(this.children.flatMap((c) => c.keys))];
    this.windows = this.children.flatMap((c) => c.windows);
  }
  evaluate(f: DeviceFacts): boolean | null {
    // Kleene logic: all is false as soon as one is false, any is true as soon as one is true.
    let unknown = false;
    for (const c of this.children) {
      const r = c.evaluate(f);
      if (r === null) unknown = true;
      else if (r !== this.all) return r;
    }
    return unknown ? null : this.all;
  }
  witness(f: DeviceFacts): Witness {
    const decisive = this.all ? undefined : this.children.find((c) => c.evaluate(f) === true);
    return (decisive ?? (this.children[0] as Condition)).witness(f);
  }
  explain(f: DeviceFacts): TraceNode {
    const children = this.children.map((c) => c.explain(f));
    const result = this.evaluate(f);
    const held = children.filter((c) => c.result === true).length;
    return {
      condition: this.describe(),
      result,
      detail: `${held} of ${children.length} hold; ${this.all ? 'all' : 'any'} must`,
      children,
    };
  }
  describe(): string {
    return `${this.all ? 'all' : 'any'} of (${this.children.map((c) => c.describe()).join(this.all ? ' and ' : ' or ')})`;
  }
}

export function compileCondition(spec: ConditionSpec): Condition {
  switch (spec.kind) {
    case 'threshold':
      return new ThresholdCondition(spec);
    case 'comparison':
      return new ComparisonCondition(spec);
    case 'statistical':
      return new StatisticalCondition(spec);
    case 'all':
    case 'any':
      return new CompoundCondition(spec);
  }
}

/** A threshold check of a scheduled time-based rule uses the same comparison as a threshold rule. */
export const thresholdCondition = (s: { key: string; operator: Operator; value: Scalar }): Condition =>
  new ThresholdCondition(s);
