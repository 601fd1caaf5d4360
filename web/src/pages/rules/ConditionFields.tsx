import type { ApiError } from '../../api/problem.js';
import { SelectField, TextAreaField, TextField } from '../../components/Field.js';
import { conditionField, OPERATORS, type RuleForm, STAT_FUNCTIONS, TIME_CHECKS } from './rule-form.js';

interface Props {
  form: RuleForm;
  set: (patch: Partial<RuleForm>) => void;
  error: ApiError | null;
  disabled: boolean;
}

/** The condition inputs of the chosen rule type; compound rules and the JSON mode edit the conditions as JSON. */
export function ConditionFields({ form, set, error, disabled }: Props) {
  const msg = (input: Parameters<typeof conditionField>[1]) => error?.fieldMessage(conditionField(form, input));
  const text = (
    input: 'key' | 'key2' | 'value' | 'offset' | 'window' | 'duration' | 'schedule' | 'timezone' | 'seconds',
    label: string,
    hint?: string,
  ) => (
    <TextField
      label={label}
      value={form[input]}
      disabled={disabled}
      error={msg(input)}
      {...(hint ? { hint } : {})}
      onChange={(e) => set({ [input]: e.target.value } as Partial<RuleForm>)}
    />
  );
  const operator = (
    <SelectField
      label="Operator"
      value={form.operator}
      disabled={disabled}
      error={msg('operator')}
      options={OPERATORS}
      onChange={(e) => set({ operator: e.target.value as RuleForm['operator'] })}
    />
  );
  const duration = text('duration', 'For (seconds, optional)', 'The condition must hold this long before the alert');

  const json = (
    <TextAreaField
      label="Conditions (JSON)"
      rows={10}
      className="code"
      value={form.conditionsJson}
      disabled={disabled}
      error={
        error?.errors
          .filter((e) => e.field.startsWith('conditions'))
          .map((e) => `${e.field} ${e.message}`)
          .join('; ') || undefined
      }
      hint={
        form.rule_type === 'compound'
          ? 'all / any of threshold, comparison and statistical conditions; see docs/rules-and-alerts.md'
          : undefined
      }
      onChange={(e) => set({ conditionsJson: e.target.value })}
    />
  );
  if (form.conditionsMode === 'json') return json;
  switch (form.rule_type) {
    case 'threshold':
      return (
        <div className="grid">
          {text('key', 'Key', 'The telemetry key, e.g. temperature')}
          {operator}
          {text('value', 'Value', 'A number, true/false, or a text (== and != only)')}
          {duration}
        </div>
      );
    case 'comparison':
      return (
        <div className="grid">
          {text('key', 'First key')}
          {operator}
          {text('key2', 'Second key')}
          {text('offset', 'Offset (added to the second key)')}
          {duration}
        </div>
      );
    case 'statistical':
      return (
        <div className="grid">
          {text('key', 'Key')}
          <SelectField
            label="Function"
            value={form.fn}
            disabled={disabled}
            error={msg('fn')}
            options={STAT_FUNCTIONS}
            onChange={(e) => set({ fn: e.target.value as RuleForm['fn'] })}
          />
          {text('window', 'Window (seconds)')}
          {operator}
          {text('value', 'Value')}
          {duration}
        </div>
      );
    case 'time_based':
      return (
        <div className="grid">
          <SelectField
            label="Check"
            value={form.check}
            disabled={disabled}
            error={msg('check')}
            options={TIME_CHECKS.map((c) => ({ value: c, label: c.replace('_', ' ') }))}
            onChange={(e) => set({ check: e.target.value as RuleForm['check'] })}
          />
          {text(
            'schedule',
            'Schedule (cron, optional)',
            'e.g. 0 8 * * 1-5; without one, silence and offline are watched continuously',
          )}
          {form.schedule.trim() !== '' && text('timezone', 'Time zone (optional)', 'IANA name, e.g. Europe/Berlin')}
          {form.check === 'no_data' && text('seconds', 'Silence (seconds)')}
          {form.check === 'no_data' && text('key', 'Key (optional)', 'Empty: no data of any key')}
          {form.check === 'threshold' && text('key', 'Key')}
          {form.check === 'threshold' && operator}
          {form.check === 'threshold' && text('value', 'Value')}
          {form.check === 'device_offline' && form.schedule.trim() === '' && duration}
        </div>
      );
    case 'compound':
      return json;
  }
}
