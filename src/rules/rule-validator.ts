import { FieldlineError, type FieldProblem } from '../kernel/index.js';
import { type Channel, targetProblems } from '../notify/index.js';
import { MAX_SECONDS, validateConditions } from './conditions-validator.js';
import { templateProblems } from './message-template.js';
import {
  ACTION_TYPES,
  type ActionType,
  isSeverity,
  RULE_TYPES,
  type RuleAction,
  type RuleLogic,
  type RuleType,
  SEVERITY_RANK,
  type Severity,
} from './model.js';

/** The rule fields the API takes (after the HTTP schema checked their basic types). */
export interface RuleInput {
  name: string;
  description?: string | null;
  device_id?: string | null;
  device_type?: string | null;
  rule_type: string;
  conditions: unknown;
  actions?: unknown[];
  severity?: string;
  priority?: number;
  enabled?: boolean;
  auto_resolve?: boolean;
  message?: string | null;
}

export interface ValidRule {
  rule_type: RuleType;
  logic: RuleLogic;
  actions: RuleAction[];
  severity: Severity;
}

/** Reminders and escalations no more often than this: a notification every few seconds helps nobody. */
export const MIN_FOLLOW_UP_SECONDS = 30;
const RULE_KEYS = ['type', 'severity', 'repeat_every', 'escalate_after'];

/** Validates a whole rule; throws FIELDLINE_ERR_VALIDATION listing every problem by field. */
export function validateRule(input: RuleInput): ValidRule {
  const problems: FieldProblem[] = [];
  if (input.device_id && input.device_type)
    problems.push({ field: 'device_type', message: 'give device_id (one device) or device_type, not both' });
  let ruleType: RuleType | undefined;
  if ((RULE_TYPES as readonly string[]).includes(input.rule_type)) ruleType = input.rule_type as RuleType;
  else problems.push({ field: 'rule_type', message: `must be one of ${RULE_TYPES.join(', ')}` });
  const conditions = ruleType ? validateConditions(ruleType, input.conditions) : { problems: [] };
  problems.push(...conditions.problems);
  const actions = validateActions(input.actions ?? [], problems);
  if (input.message) problems.push(...templateProblems(input.message, 'message'));
  if (input.severity !== undefined && !isSeverity(input.severity))
    problems.push({ field: 'severity', message: 'must be info, warning or critical' });
  if (problems.length > 0 || !ruleType || !conditions.logic)
    throw new FieldlineError(
      'FIELDLINE_ERR_VALIDATION',
      `Invalid rule: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      { errors: problems },
    );
  return {
    rule_type: ruleType,
    logic: conditions.logic,
    actions,
    severity: isSeverity(input.severity) ? input.severity : severityFromActions(actions),
  };
}

/**
 * Without a rule-level severity, the rule takes the highest one its immediate actions name (users write
 * `"severity"` on each action), and warning when none does. An escalation's severity is what it raises to.
 */
function severityFromActions(actions: RuleAction[]): Severity {
  let best: Severity | null = null;
  for (const a of actions) {
    if (a.escalate_after !== undefined || !a.severity) continue;
    if (!best || SEVERITY_RANK[a.severity] > SEVERITY_RANK[best]) best = a.severity;
  }
  return best ?? 'warning';
}

function validateActions(list: unknown[], problems: FieldProblem[]): RuleAction[] {
  const out: RuleAction[] = [];
  if (list.length > 20) problems.push({ field: 'actions', message: 'must have at most 20 actions' });
  list.forEach((raw, i) => {
    const at = `actions.${i}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push({ field: at, message: 'must be an object with a type' });
      return;
    }
    const a = raw as Record<string, unknown>;
    if (!(ACTION_TYPES as readonly string[]).includes(a.type as string)) {
      problems.push({ field: `${at}.type`, message: `must be one of ${ACTION_TYPES.join(', ')}` });
      return;
    }
    const type = a.type as ActionType;
    const before = problems.length;
    if (a.severity !== undefined && !isSeverity(a.severity))
      problems.push({ field: `${at}.severity`, message: 'must be info, warning or critical' });
    for (const k of ['repeat_every', 'escalate_after'] as const) {
      const v = a[k];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < MIN_FOLLOW_UP_SECONDS || v > MAX_SECONDS)
        problems.push({
          field: `${at}.${k}`,
          message: `must be a number of seconds between ${MIN_FOLLOW_UP_SECONDS} and ${MAX_SECONDS}`,
        });
    }
    if (type === 'alert') {
      for (const k of Object.keys(a))
        if (!['type', 'severity', 'message', 'escalate_after'].includes(k))
          problems.push({
            field: `${at}.${k}`,
            message:
              k === 'repeat_every' ? 'does not apply to the alert action (it notifies nobody)' : 'is not a known field',
          });
      if (a.message !== undefined && a.message !== null) {
        if (typeof a.message !== 'string' || a.message.length > 2000)
          problems.push({ field: `${at}.message`, message: 'must be a text of at most 2000 characters' });
        else problems.push(...templateProblems(a.message, `${at}.message`));
      }
      if (a.escalate_after !== undefined && a.severity === undefined)
        problems.push({
          field: `${at}.severity`,
          message: 'is required with escalate_after (the severity to raise to)',
        });
    } else {
      const target = Object.fromEntries(Object.entries(a).filter(([k]) => !RULE_KEYS.includes(k)));
      problems.push(...targetProblems(type as Channel, target, at));
      if (type === 'webhook' && typeof a.url === 'string' && !/^https?:\/\/[^\s]+$/i.test(a.url))
        problems.push({ field: `${at}.url`, message: 'must be an http:// or https:// URL' });
    }
    if (problems.length === before) out.push(a as RuleAction);
  });
  return out;
}
