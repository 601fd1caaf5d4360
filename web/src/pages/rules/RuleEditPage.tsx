import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../api/problem.js';
import type { Rule } from '../../api/types.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useLoad } from '../../hooks/use-load.js';
import { Link, navigate } from '../../router.js';
import { useSession } from '../../session/session.js';
import { ConditionFields } from './ConditionFields.js';
import { RuleTestPanel } from './RuleTestPanel.js';
import {
  emptyRuleForm,
  formToRuleBody,
  RULE_TYPES,
  type RuleForm,
  ruleToForm,
  SEVERITIES,
  toFormMode,
  toJsonMode,
} from './rule-form.js';

/** Creates (id null) or shows and edits a rule; admins write, operators may test, everyone reads. */
export function RuleEditPage({ id }: { id: string | null }) {
  const { api } = useSession();
  const loaded = useLoad(useCallback(() => (id ? api.rules.get(id) : Promise.resolve(null)), [api, id]));
  if (loaded.error) {
    return (
      <section>
        <p>
          <Link to="/rules">← Rules</Link>
        </p>
        <ProblemMessage error={loaded.error} />
      </section>
    );
  }
  if (loaded.data === undefined) return <p>Loading…</p>;
  return <RuleEditor rule={loaded.data} onSaved={(r) => loaded.setData(r)} />;
}

function RuleEditor({ rule, onSaved }: { rule: Rule | null; onSaved: (r: Rule) => void }) {
  const { api, can } = useSession();
  const [form, setForm] = useState<RuleForm>(() => (rule ? ruleToForm(rule) : emptyRuleForm()));
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const editable = can('admin');
  const set = (patch: Partial<RuleForm>) => {
    setSaved(false);
    setForm((f) => ({ ...f, ...patch }));
  };
  useEffect(() => {
    if (rule) setForm(ruleToForm(rule));
  }, [rule]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const { body, problems } = formToRuleBody(form);
    if (!body) {
      setError(new ApiError(400, 'FORM', 'Fix the fields below before saving.', problems));
      return;
    }
    setBusy(true);
    try {
      if (rule) {
        onSaved(await api.rules.update(rule.id, body));
        setSaved(true);
      } else {
        const created = await api.rules.create(body);
        navigate(`/rules/${encodeURIComponent(created.id)}`, { replace: true });
      }
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'ERROR', String(err)));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!rule) return;
    try {
      await api.rules.remove(rule.id);
      navigate('/rules');
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'ERROR', String(err)));
    }
  };
  const msg = (field: string) => error?.fieldMessage(field);
  const disabled = !editable;

  return (
    <section aria-labelledby="rule-title">
      <p>
        <Link to="/rules">← Rules</Link>
      </p>
      <div className="page-head">
        <h1 id="rule-title">{rule ? rule.name : 'New rule'}</h1>
        {rule && editable && (
          <ConfirmButton confirm="Delete this rule for good" onConfirm={() => void remove()}>
            Delete rule
          </ConfirmButton>
        )}
      </div>
      {!editable && (
        <p className="notice">
          Rules are written by admins; you can read {can('operator') ? 'and test ' : ''}this one.
        </p>
      )}
      <form className="panel" onSubmit={(e) => void submit(e)} aria-label="Rule">
        <div className="grid">
          <TextField
            label="Name"
            required
            value={form.name}
            disabled={disabled}
            error={msg('name')}
            onChange={(e) => set({ name: e.target.value })}
          />
          <SelectField
            label="Rule type"
            value={form.rule_type}
            disabled={disabled}
            error={msg('rule_type')}
            options={RULE_TYPES.map((t) => ({ value: t, label: t.replace('_', ' ') }))}
            onChange={(e) => set({ rule_type: e.target.value as RuleForm['rule_type'] })}
          />
          <SelectField
            label="Applies to"
            value={form.target}
            disabled={disabled}
            options={[
              { value: 'all', label: 'Every device of the organization' },
              { value: 'device', label: 'One device' },
              { value: 'type', label: 'Every device of a type' },
            ]}
            onChange={(e) => set({ target: e.target.value as RuleForm['target'] })}
          />
          {form.target === 'device' && (
            <TextField
              label="Device id"
              value={form.device_id}
              disabled={disabled}
              error={msg('device_id')}
              onChange={(e) => set({ device_id: e.target.value })}
            />
          )}
          {form.target === 'type' && (
            <TextField
              label="Device type"
              value={form.device_type}
              disabled={disabled}
              error={msg('device_type')}
              onChange={(e) => set({ device_type: e.target.value })}
            />
          )}
        </div>
        <fieldset>
          <legend>Condition</legend>
          <ConditionFields form={form} set={set} error={error} disabled={disabled} />
          {form.rule_type !== 'compound' && editable && (
            <button
              type="button"
              className="link"
              onClick={() => {
                if (form.conditionsMode === 'form') setForm(toJsonMode(form));
                else {
                  const back = toFormMode(form);
                  if (back) setForm(back);
                  else
                    setError(
                      new ApiError(400, 'FORM', 'These conditions cannot be shown as fields; keep editing the JSON.'),
                    );
                }
              }}
            >
              {form.conditionsMode === 'form' ? 'Edit the conditions as JSON' : 'Edit the conditions in fields'}
            </button>
          )}
        </fieldset>
        <fieldset>
          <legend>Alert</legend>
          <div className="grid">
            <SelectField
              label="Severity"
              value={form.severity}
              disabled={disabled}
              error={msg('severity')}
              options={SEVERITIES}
              onChange={(e) => set({ severity: e.target.value as RuleForm['severity'] })}
            />
            <TextField
              label="Priority"
              type="number"
              min={0}
              max={1000}
              value={form.priority}
              disabled={disabled}
              error={msg('priority')}
              onChange={(e) => set({ priority: e.target.value })}
            />
            <TextField
              label="Message (optional)"
              value={form.message}
              disabled={disabled}
              error={msg('message')}
              hint="Template: {{device.name}} {{key}} {{value}} {{operator}} {{threshold}} {{rule.name}}"
              onChange={(e) => set({ message: e.target.value })}
            />
            <TextField
              label="Description (optional)"
              value={form.description}
              disabled={disabled}
              error={msg('description')}
              onChange={(e) => set({ description: e.target.value })}
            />
          </div>
          <CheckboxField
            label="Resolve the alert when the condition clears"
            checked={form.auto_resolve}
            disabled={disabled}
            onChange={(e) => set({ auto_resolve: e.target.checked })}
          />
          <CheckboxField
            label="Enabled"
            checked={form.enabled}
            disabled={disabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />
        </fieldset>
        <TextAreaField
          label="Actions (JSON)"
          rows={4}
          className="code"
          value={form.actionsJson}
          disabled={disabled}
          error={
            error?.errors
              .filter((e) => e.field.startsWith('actions'))
              .map((e) => `${e.field} ${e.message}`)
              .join('; ') || undefined
          }
          hint='Who else hears of the alert, e.g. [{"type": "email", "recipients": ["shift@example.com"]}]'
          onChange={(e) => set({ actionsJson: e.target.value })}
        />
        <ProblemMessage error={error} />
        {saved && <p role="status">Saved.</p>}
        {editable && (
          <button type="submit" className="primary" disabled={busy}>
            {rule ? 'Save rule' : 'Create rule'}
          </button>
        )}
      </form>
      {rule && can('operator') && <RuleTestPanel ruleId={rule.id} defaultDevice={rule.device_id ?? ''} />}
    </section>
  );
}
