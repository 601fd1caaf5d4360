/**
 * The rule engine's vocabulary: rule types, operators, functions, severities, and the normalized shapes the
 * validator produces from the JSON users write. The stored rule keeps the user's own JSON; the engine runs on
 * these normalized specs.
 */

export const RULE_TYPES = ['threshold', 'comparison', 'time_based', 'statistical', 'compound'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const OPERATORS = ['>', '<', '>=', '<=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export const STAT_FUNCTIONS = ['avg', 'min', 'max', 'stddev', 'sum', 'count'] as const;
export type StatFunction = (typeof STAT_FUNCTIONS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

export const ACTION_TYPES = ['alert', 'email', 'webhook', 'ntfy'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** A scalar a threshold compares with. */
export type Scalar = number | string | boolean;

export interface ThresholdSpec {
  kind: 'threshold';
  key: string;
  operator: Operator;
  value: Scalar;
}

export interface ComparisonSpec {
  kind: 'comparison';
  key1: string;
  operator: Operator;
  key2: string;
  offset: number;
}

export interface StatisticalSpec {
  kind: 'statistical';
  key: string;
  fn: StatFunction;
  windowMs: number;
  operator: Operator;
  value: number;
}

export type LeafSpec = ThresholdSpec | ComparisonSpec | StatisticalSpec;
export interface CompoundSpec {
  kind: 'all' | 'any';
  children: ConditionSpec[];
}
export type ConditionSpec = LeafSpec | CompoundSpec;

/** What a time-based rule checks, at its schedule (or continuously when it has none). */
export type TimeCheck =
  | { kind: 'device_offline' }
  | { kind: 'no_data'; key: string | null; seconds: number }
  | { kind: 'threshold'; key: string; operator: Operator; value: Scalar };

/** The executable part of a rule, from its rule_type and conditions. */
export type RuleLogic =
  | { type: 'streaming'; condition: ConditionSpec; durationMs: number }
  | { type: 'scheduled'; cron: string; timezone: string | null; check: TimeCheck }
  /** A time-based check without a schedule: device_offline on status changes, no_data on silence timers. */
  | { type: 'continuous'; check: Exclude<TimeCheck, { kind: 'threshold' }>; durationMs: number };

/** A rule action as stored (secrets included, in memory only). */
export interface RuleAction {
  type: ActionType;
  severity?: Severity;
  /** Seconds between reminders while the alert stays active (unacknowledged). */
  repeat_every?: number;
  /** Seconds after which, still unacknowledged, this action fires as an escalation. */
  escalate_after?: number;
  [key: string]: unknown;
}

export type RuleTarget = { kind: 'device'; deviceId: string } | { kind: 'type'; deviceType: string } | { kind: 'all' };

/** A rule as the engine and the API know it (times epoch ms). */
export interface RuleRecord {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  device_id: string | null;
  device_type: string | null;
  rule_type: RuleType;
  /** The conditions exactly as the user wrote them. */
  conditions: Record<string, unknown>;
  actions: RuleAction[];
  severity: Severity;
  priority: number;
  enabled: boolean;
  auto_resolve: boolean;
  /** Alert message template; null → the default for the rule type. */
  message: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export const targetOf = (r: Pick<RuleRecord, 'device_id' | 'device_type'>): RuleTarget =>
  r.device_id !== null
    ? { kind: 'device', deviceId: r.device_id }
    : r.device_type !== null
      ? { kind: 'type', deviceType: r.device_type }
      : { kind: 'all' };

export const isSeverity = (v: unknown): v is Severity =>
  typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
export const isOperator = (v: unknown): v is Operator =>
  typeof v === 'string' && (OPERATORS as readonly string[]).includes(v);
