import { describe, expect, it } from 'vitest';
import type { Rule } from '../../api/types.js';
import { conditionField, emptyRuleForm, formToRuleBody, type RuleForm, ruleToForm } from './rule-form.js';

const form = (over: Partial<RuleForm>): RuleForm => ({ ...emptyRuleForm(), name: 'High temperature', ...over });

const stored = (over: Partial<Rule>): Rule => ({
  id: 'r1',
  name: 'Rule',
  description: null,
  device_id: null,
  device_type: null,
  rule_type: 'threshold',
  conditions: {},
  actions: [],
  severity: 'warning',
  priority: 0,
  enabled: true,
  auto_resolve: true,
  message: null,
  created_by: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('rule form → body', () => {
  it('maps a threshold on one device, with numbers as numbers and empty optionals left out', () => {
    const { body, problems } = formToRuleBody(
      form({
        target: 'device',
        device_id: ' boiler-1 ',
        key: 'temperature',
        operator: '>=',
        value: '90',
        duration: '',
      }),
    );
    expect(problems).toEqual([]);
    expect(body).toMatchObject({
      name: 'High temperature',
      device_id: 'boiler-1',
      device_type: null,
      rule_type: 'threshold',
      conditions: { key: 'temperature', operator: '>=', value: 90 },
      actions: [],
      severity: 'warning',
      priority: 0,
      message: null,
      description: null,
    });
  });

  it('keeps a text or boolean threshold as such', () => {
    expect(formToRuleBody(form({ key: 'state', operator: '==', value: 'fault' })).body?.conditions.value).toBe('fault');
    expect(formToRuleBody(form({ key: 'on', operator: '==', value: 'true' })).body?.conditions.value).toBe(true);
  });

  it('maps comparison, statistical and a device type target', () => {
    expect(
      formToRuleBody(
        form({
          rule_type: 'comparison',
          target: 'type',
          device_type: 'boiler',
          key: 'temp',
          key2: 'setpoint',
          offset: '2',
        }),
      ).body,
    ).toMatchObject({
      device_type: 'boiler',
      device_id: null,
      conditions: { key1: 'temp', operator: '>', key2: 'setpoint', offset: 2 },
    });
    expect(
      formToRuleBody(form({ rule_type: 'statistical', key: 'vibration', fn: 'stddev', window: '600', value: '2.5' }))
        .body?.conditions,
    ).toEqual({ key: 'vibration', function: 'stddev', window: 600, operator: '>', value: 2.5 });
  });

  it('maps the time-based checks in their flat form', () => {
    expect(
      formToRuleBody(form({ rule_type: 'time_based', check: 'no_data', seconds: '900', key: '' })).body?.conditions,
    ).toEqual({
      check: 'no_data',
      seconds: 900,
    });
    expect(
      formToRuleBody(form({ rule_type: 'time_based', check: 'device_offline', duration: '120' })).body?.conditions,
    ).toEqual({ check: 'device_offline', duration: 120 });
    expect(
      formToRuleBody(
        form({
          rule_type: 'time_based',
          check: 'threshold',
          schedule: '0 8 * * 1-5',
          timezone: 'Europe/Berlin',
          key: 'tank',
          operator: '<',
          value: '10',
        }),
      ).body?.conditions,
    ).toEqual({
      schedule: '0 8 * * 1-5',
      timezone: 'Europe/Berlin',
      check: 'threshold',
      key: 'tank',
      operator: '<',
      value: 10,
    });
  });

  it('sends a text that is not a number as typed, for the server to name', () => {
    expect(formToRuleBody(form({ key: 't', value: '9O' })).body?.conditions.value).toBe('9O');
    expect(formToRuleBody(form({ key: 't', value: '1', duration: 'soon' })).body?.conditions.duration).toBe('soon');
  });

  it('takes compound conditions and actions as JSON, and names JSON that does not parse', () => {
    const ok = formToRuleBody(
      form({
        rule_type: 'compound',
        conditionsJson: '{"all": []}',
        actionsJson: '[{"type": "email", "recipients": ["a@b.c"]}]',
      }),
    );
    expect(ok.body?.conditions).toEqual({ all: [] });
    expect(ok.body?.actions).toEqual([{ type: 'email', recipients: ['a@b.c'] }]);
    const bad = formToRuleBody(form({ rule_type: 'compound', conditionsJson: '{all', actionsJson: '{}' }));
    expect(bad.body).toBeNull();
    expect(bad.problems.map((p) => p.field)).toEqual(['conditions', 'actions']);
  });
});

describe('stored rule → form', () => {
  it('round-trips the simple types through the fields', () => {
    for (const rule of [
      stored({ device_id: 'b1', conditions: { key: 'temperature', operator: '>', value: 25, duration: 60 } }),
      stored({
        rule_type: 'comparison',
        device_type: 'boiler',
        conditions: { key1: 'a', operator: '<', key2: 'b', offset: 1 },
      }),
      stored({
        rule_type: 'statistical',
        conditions: { key: 'v', function: 'max', window: 60, operator: '>', value: 12 },
      }),
      stored({ rule_type: 'time_based', conditions: { check: 'no_data', seconds: 900, key: 'level' } }),
      stored({ rule_type: 'time_based', conditions: { check: 'device_offline', duration: 120 } }),
    ]) {
      const f = ruleToForm(rule);
      expect(f.conditionsMode).toBe('form');
      const { body } = formToRuleBody(f);
      expect(body?.conditions).toEqual(rule.conditions);
      expect([body?.device_id, body?.device_type]).toEqual([rule.device_id, rule.device_type]);
    }
  });

  it('reads the other ways of writing a time-based check', () => {
    expect(
      ruleToForm(stored({ rule_type: 'time_based', conditions: { check: { type: 'no_data', seconds: 60 } } })),
    ).toMatchObject({
      conditionsMode: 'form',
      check: 'no_data',
      seconds: '60',
    });
    expect(
      ruleToForm(
        stored({
          rule_type: 'time_based',
          conditions: { schedule: '0 8 * * *', check: { threshold: { key: 't', operator: '<', value: 5 } } },
        }),
      ),
    ).toMatchObject({
      conditionsMode: 'form',
      check: 'threshold',
      schedule: '0 8 * * *',
      key: 't',
      operator: '<',
      value: '5',
    });
  });

  it('falls back to JSON for compound rules and shapes the fields cannot hold', () => {
    const compound = stored({ rule_type: 'compound', conditions: { any: [{ key: 't', operator: '>', value: 1 }] } });
    expect(ruleToForm(compound)).toMatchObject({ conditionsMode: 'json', rule_type: 'compound' });
    expect(JSON.parse(ruleToForm(compound).conditionsJson)).toEqual(compound.conditions);
    expect(
      ruleToForm(stored({ conditions: { key: 't', operator: '>', value: 1, extra: { a: 1 } } })).conditionsMode,
    ).toBe('json');
  });

  it('names the API field each input edits', () => {
    expect(conditionField(form({ rule_type: 'comparison' }), 'key')).toBe('conditions.key1');
    expect(conditionField(form({}), 'key')).toBe('conditions.key');
    expect(conditionField(form({}), 'fn')).toBe('conditions.function');
  });
});
