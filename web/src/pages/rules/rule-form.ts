/**
 * The rule editor's form and the API's rule body, both ways. The form has plain text fields for the
 * conditions of threshold, comparison, statistical and time_based rules; compound rules (and anything the
 * fields cannot hold) are edited as JSON. The server validates the result and names each wrong field
 * (`conditions.key`); `FIELD_OF` tells which input shows that message.
 */
import {
  OPERATORS,
  type Operator,
  RULE_TYPES,
  type RuleType,
  SEVERITIES,
  type Severity,
  STAT_FUNCTIONS,
  type StatFunction,
} from '../../../../src/rules/model.js';
import type { FieldProblem } from '../../api/problem.js';
import type { Rule, RuleBody } from '../../api/types.js';

export { OPERATORS, RULE_TYPES, SEVERITIES, STAT_FUNCTIONS };

export type Target = 'all' | 'device' | 'type';
export const TIME_CHECKS = ['device_offline', 'no_data', 'threshold'] as const;
export type TimeCheck = (typeof TIME_CHECKS)[number];

export interface RuleForm {
  name: string;
  description: string;
  target: Target;
  device_id: string;
  device_type: string;
  rule_type: RuleType;
  severity: Severity;
  priority: string;
  enabled: boolean;
  auto_resolve: boolean;
  message: string;
  /** threshold, statistical, time_based: the key; comparison: key1. */
  key: string;
  operator: Operator;
  /** threshold and statistical value; a number, true/false, or a text (== and != only). */
  value: string;
  key2: string;
  offset: string;
  fn: StatFunction;
  window: string;
  /** Seconds the condition must hold (threshold, comparison, statistical, device_offline). */
  duration: string;
  schedule: string;
  timezone: string;
  check: TimeCheck;
  seconds: string;
  /** form: the fields above; json: conditionsJson as written (always for compound). */
  conditionsMode: 'form' | 'json';
  conditionsJson: string;
  actionsJson: string;
}

export function emptyRuleForm(): RuleForm {
  return {
    name: '',
    description: '',
    target: 'all',
    device_id: '',
    device_type: '',
    rule_type: 'threshold',
    severity: 'warning',
    priority: '0',
    enabled: true,
    auto_resolve: true,
    message: '',
    key: '',
    operator: '>',
    value: '',
    key2: '',
    offset: '',
    fn: 'avg',
    window: '300',
    duration: '',
    schedule: '',
    timezone: '',
    check: 'no_data',
    seconds: '600',
    conditionsMode: 'form',
    conditionsJson: '{\n  "any": [\n    {"key": "temperature", "operator": ">", "value": 80}\n  ]\n}',
    actionsJson: '[]',
  };
}

/** A number when the text is one, else the text as typed (the server then says what is wrong with it). */
function numberOr(text: string): number | string {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
}

/** A threshold: a number, true/false, or a text compared with == / !=. */
function scalarOf(text: string): number | boolean | string {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  return numberOr(t);
}

const optional = (o: Record<string, unknown>, key: string, text: string) => {
  if (text.trim() !== '') o[key] = numberOr(text);
};

function conditionsFromFields(f: RuleForm): Record<string, unknown> {
  switch (f.rule_type) {
    case 'threshold': {
      const c: Record<string, unknown> = { key: f.key.trim(), operator: f.operator, value: scalarOf(f.value) };
      optional(c, 'duration', f.duration);
      return c;
    }
    case 'comparison': {
      const c: Record<string, unknown> = { key1: f.key.trim(), operator: f.operator, key2: f.key2.trim() };
      optional(c, 'offset', f.offset);
      optional(c, 'duration', f.duration);
      return c;
    }
    case 'statistical': {
      const c: Record<string, unknown> = {
        key: f.key.trim(),
        function: f.fn,
        window: numberOr(f.window),
        operator: f.operator,
        value: numberOr(f.value),
      };
      optional(c, 'duration', f.duration);
      return c;
    }
    case 'time_based': {
      const c: Record<string, unknown> = {};
      if (f.schedule.trim()) c.schedule = f.schedule.trim();
      if (f.timezone.trim()) c.timezone = f.timezone.trim();
      c.check = f.check;
      if (f.check === 'no_data') {
        c.seconds = numberOr(f.seconds);
        if (f.key.trim()) c.key = f.key.trim();
      } else if (f.check === 'threshold') {
        c.key = f.key.trim();
        c.operator = f.operator;
        c.value = scalarOf(f.value);
      } else optional(c, 'duration', f.duration);
      return c;
    }
    case 'compound':
      return {};
  }
}

function parseJson(text: string, field: string, problems: FieldProblem[]): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    problems.push({ field, message: `is not valid JSON: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * The body of POST /rules or PUT /rules/{id}, or the problems that keep it from being sent (JSON that does
 * not parse). Everything else is the server's to judge.
 */
export function formToRuleBody(f: RuleForm): { body: RuleBody | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  let conditions: Record<string, unknown> = {};
  if (f.rule_type === 'compound' || f.conditionsMode === 'json') {
    const parsed = parseJson(f.conditionsJson, 'conditions', problems);
    if (parsed !== undefined) {
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        conditions = parsed as Record<string, unknown>;
      else problems.push({ field: 'conditions', message: 'must be a JSON object' });
    }
  } else conditions = conditionsFromFields(f);
  let actions: Record<string, unknown>[] = [];
  const parsedActions = parseJson(f.actionsJson.trim() || '[]', 'actions', problems);
  if (parsedActions !== undefined) {
    if (Array.isArray(parsedActions)) actions = parsedActions as Record<string, unknown>[];
    else problems.push({ field: 'actions', message: 'must be a JSON list of actions' });
  }
  if (problems.length) return { body: null, problems };
  const priority = numberOr(f.priority);
  return {
    body: {
      name: f.name.trim(),
      description: f.description.trim() || null,
      device_id: f.target === 'device' ? f.device_id.trim() : null,
      device_type: f.target === 'type' ? f.device_type.trim() : null,
      rule_type: f.rule_type,
      conditions,
      actions,
      severity: f.severity,
      priority: typeof priority === 'number' ? priority : 0,
      enabled: f.enabled,
      auto_resolve: f.auto_resolve,
      message: f.message.trim() || null,
    },
    problems,
  };
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const isOperator = (v: unknown): v is Operator => (OPERATORS as readonly unknown[]).includes(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Only these keys, each of the kinds the fields can show: else the rule is edited as JSON. */
function fits(c: Record<string, unknown>, keys: string[]): boolean {
  return Object.entries(c).every(
    ([k, v]) => keys.includes(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'),
  );
}

/** The fields for a stored rule's conditions, or null when only JSON can show them as they are. */
function fieldsFromConditions(type: string, c: Record<string, unknown>): Partial<RuleForm> | null {
  switch (type) {
    case 'threshold':
      return fits(c, ['key', 'operator', 'value', 'duration']) && isOperator(c.operator)
        ? { key: text(c.key), operator: c.operator, value: text(c.value), duration: text(c.duration) }
        : null;
    case 'comparison':
      return fits(c, ['key1', 'operator', 'key2', 'offset', 'duration']) && isOperator(c.operator)
        ? {
            key: text(c.key1),
            operator: c.operator,
            key2: text(c.key2),
            offset: text(c.offset),
            duration: text(c.duration),
          }
        : null;
    case 'statistical':
      return fits(c, ['key', 'function', 'window', 'operator', 'value', 'duration']) &&
        isOperator(c.operator) &&
        (STAT_FUNCTIONS as readonly unknown[]).includes(c.function)
        ? {
            key: text(c.key),
            fn: c.function as StatFunction,
            window: text(c.window),
            operator: c.operator,
            value: text(c.value),
            duration: text(c.duration),
          }
        : null;
    case 'time_based': {
      // The check may be written "no_data" with its fields beside it, {type: "no_data", …} or {no_data: {…}}.
      let body: Record<string, unknown> = c;
      let kind: unknown = c.check;
      if (isObject(c.check)) {
        const inner = c.check;
        const only = Object.keys(inner);
        if (inner.type !== undefined) {
          kind = inner.type;
          body = inner;
        } else if (only.length === 1 && isObject(inner[only[0] as string])) {
          kind = only[0];
          body = inner[only[0] as string] as Record<string, unknown>;
        } else return null;
      }
      if (!(TIME_CHECKS as readonly unknown[]).includes(kind)) return null;
      const flat =
        body === c ? c : { ...body, ...Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'check')) };
      const keys = ['schedule', 'timezone', 'check', 'type', 'key', 'seconds', 'operator', 'value', 'duration'];
      if (!fits({ ...flat, check: String(kind) }, keys)) return null;
      if (flat.operator !== undefined && !isOperator(flat.operator)) return null;
      return {
        check: kind as TimeCheck,
        schedule: text(c.schedule),
        timezone: text(c.timezone),
        key: text(flat.key),
        seconds: text(flat.seconds) || '600',
        ...(isOperator(flat.operator) ? { operator: flat.operator } : {}),
        value: text(flat.value),
        duration: text(flat.duration),
      };
    }
    default:
      return null;
  }
}

/** The form for a stored rule (editing). */
export function ruleToForm(rule: Rule): RuleForm {
  const base = emptyRuleForm();
  const fields = fieldsFromConditions(rule.rule_type, rule.conditions);
  return {
    ...base,
    ...(fields ?? {}),
    name: rule.name,
    description: rule.description ?? '',
    target: rule.device_id !== null ? 'device' : rule.device_type !== null ? 'type' : 'all',
    device_id: rule.device_id ?? '',
    device_type: rule.device_type ?? '',
    rule_type: (RULE_TYPES as readonly string[]).includes(rule.rule_type) ? (rule.rule_type as RuleType) : 'compound',
    severity: (SEVERITIES as readonly string[]).includes(rule.severity) ? (rule.severity as Severity) : 'warning',
    priority: String(rule.priority),
    enabled: rule.enabled,
    auto_resolve: rule.auto_resolve,
    message: rule.message ?? '',
    conditionsMode: fields ? 'form' : 'json',
    conditionsJson: JSON.stringify(rule.conditions, null, 2),
    actionsJson: JSON.stringify(rule.actions, null, 2),
  };
}

/** The API's field name for what an input edits, so the server's message shows beside it. */
export function conditionField(
  form: RuleForm,
  input:
    | 'key'
    | 'key2'
    | 'operator'
    | 'value'
    | 'offset'
    | 'fn'
    | 'window'
    | 'duration'
    | 'schedule'
    | 'timezone'
    | 'check'
    | 'seconds',
): string {
  if (input === 'key' && form.rule_type === 'comparison') return 'conditions.key1';
  if (input === 'fn') return 'conditions.function';
  return `conditions.${input}`;
}

/** The form with its conditions shown as JSON (what the fields say now). */
export function toJsonMode(f: RuleForm): RuleForm {
  const conditions = f.rule_type === 'compound' ? null : conditionsFromFields(f);
  return {
    ...f,
    conditionsMode: 'json',
    conditionsJson: conditions ? JSON.stringify(conditions, null, 2) : f.conditionsJson,
  };
}

/** The form with the JSON conditions back in the fields, or null when the fields cannot hold them. */
export function toFormMode(f: RuleForm): RuleForm | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(f.conditionsJson);
  } catch {
    return null;
  }
  if (!isObject(parsed)) return null;
  const fields = fieldsFromConditions(f.rule_type, parsed);
  return fields ? { ...f, ...fields, conditionsMode: 'form' } : null;
}
