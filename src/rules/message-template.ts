import type { FieldProblem } from '../kernel/index.js';
import type { RuleLogic, TimeCheck } from './model.js';

/**
 * Alert messages: `{{name}}` placeholders filled from the alert's facts. Nothing is escaped here — the
 * message is data; the email templates escape it for HTML and JSON carries it as a string.
 */
export const TEMPLATE_VARIABLES = [
  'device.name',
  'device.id',
  'device.type',
  'rule.name',
  'severity',
  'value',
  'threshold',
  'key',
  'operator',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateFacts = Record<TemplateVariable, string>;

const PLACEHOLDER = /\{\{\s*([a-zA-Z_.]+)\s*\}\}/g;

export function templateProblems(template: string, field: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name))
      problems.push({
        field,
        message: `{{${name}}} is not a placeholder; use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
      });
  }
  return problems;
}

export function renderTemplate(template: string, facts: TemplateFacts): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    (TEMPLATE_VARIABLES as readonly string[]).includes(name) ? facts[name as TemplateVariable] : whole,
  );
}

/** A value as a message shows it: numbers trimmed to 6 significant digits, JSON as JSON. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

const checkMessage = (check: TimeCheck): string => {
  switch (check.kind) {
    case 'device_offline':
      return '{{rule.name}}: {{device.name}} is offline';
    case 'no_data':
      return check.key
        ? '{{rule.name}}: no {{key}} from {{device.name}} for {{value}} s (limit {{threshold}} s)'
        : '{{rule.name}}: no data from {{device.name}} for {{value}} s (limit {{threshold}} s)';
    case 'threshold':
      return '{{rule.name}}: {{key}} is {{value}} {{operator}} {{threshold}} on {{device.name}}';
  }
};

/** The message a rule gets when it sets none: what fired, the value, the threshold, the device. */
export function defaultTemplate(logic: RuleLogic): string {
  if (logic.type !== 'streaming') return checkMessage(logic.check);
  return '{{rule.name}}: {{key}} is {{value}} {{operator}} {{threshold}} on {{device.name}}';
}
