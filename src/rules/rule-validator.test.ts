import { describe, expect, it } from 'vitest';
import { FieldlineError } from '../kernel/index.js';
import { joinActionSecrets, keepMaskedSecrets, splitActionSecrets } from './action-secrets.js';
import type { RuleAction } from './model.js';
import { validateRule } from './rule-validator.js';

const fieldsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FieldlineError) return (err.errors ?? []).map((e) => e.field);
    throw err;
  }
  return [];
};

describe('validateRule', () => {
  it('takes the rule severity from the actions users annotate, and warning when none does', () => {
    const base = { name: 'r', rule_type: 'threshold', conditions: { key: 't', operator: '>', value: 1 } };
    expect(
      validateRule({ ...base, actions: [{ type: 'email', recipients: ['a@example.com'], severity: 'critical' }] })
        .severity,
    ).toBe('critical');
    expect(
      validateRule({ ...base, severity: 'info', actions: [{ type: 'alert', severity: 'critical' }] }).severity,
    ).toBe('info');
    expect(
      validateRule({ ...base, actions: [{ type: 'alert', escalate_after: 600, severity: 'critical' }] }).severity,
    ).toBe('warning');
  });

  it('reads every form of a time-based check', () => {
    const forms: [unknown, unknown][] = [
      [{ schedule: '0 8 * * *', check: 'device_offline' }, { kind: 'device_offline' }],
      [
        { schedule: '*/5 * * * *', check: 'no_data', seconds: 600 },
        { kind: 'no_data', key: null, seconds: 600 },
      ],
      [
        { schedule: '*/5 * * * *', check: { type: 'no_data', key: 'flow', seconds: 60 } },
        { kind: 'no_data', key: 'flow', seconds: 60 },
      ],
      [
        { schedule: '*/5 * * * *', check: { no_data: { seconds: 60 } } },
        { kind: 'no_data', key: null, seconds: 60 },
      ],
      [
        {
          schedule: '0 6 * * *',
          timezone: 'Asia/Tokyo',
          check: { threshold: { key: 'tank', operator: '<', value: 10 } },
        },
        { kind: 'threshold', key: 'tank', operator: '<', value: 10 },
      ],
    ];
    for (const [conditions, check] of forms) {
      const { logic } = validateRule({ name: 'r', rule_type: 'time_based', conditions });
      expect(logic).toMatchObject({ type: 'scheduled', check });
    }
    expect(
      validateRule({ name: 'r', rule_type: 'time_based', conditions: { check: 'device_offline', duration: 300 } })
        .logic,
    ).toEqual({
      type: 'continuous',
      check: { kind: 'device_offline' },
      durationMs: 300_000,
    });
  });

  it('infers the type of each condition inside all/any from its shape', () => {
    const { logic } = validateRule({
      name: 'r',
      rule_type: 'compound',
      conditions: {
        any: [
          { key: 'a', operator: '>', value: 1 },
          { key1: 'a', operator: '<', key2: 'b' },
          { key: 'v', function: 'max', window: 30, operator: '>=', value: 2 },
          { all: [{ rule_type: 'threshold', key: 'c', operator: '==', value: 'on' }] },
        ],
      },
    });
    expect(logic).toMatchObject({
      type: 'streaming',
      condition: {
        kind: 'any',
        children: [
          { kind: 'threshold' },
          { kind: 'comparison' },
          { kind: 'statistical', windowMs: 30_000 },
          { kind: 'all' },
        ],
      },
    });
  });

  it('names every problem at once', () => {
    expect(
      fieldsOf(() =>
        validateRule({
          name: 'r',
          rule_type: 'compound',
          conditions: {
            all: [
              { key: 'a', operator: '>', value: 'x', duration: 5 },
              { key1: 'a', key2: 'a', operator: '>' },
            ],
          },
          actions: [
            { type: 'webhook', url: 'ftp://x' },
            { type: 'alert', escalate_after: 60 },
          ],
        }),
      ),
    ).toEqual(['conditions.all.0.duration', 'conditions.all.1.key2', 'actions.0.url', 'actions.1.severity']);
  });
});

describe('action secrets', () => {
  const actions: RuleAction[] = [
    { type: 'email', recipients: ['a@example.com'] },
    {
      type: 'webhook',
      url: 'https://h.example.com',
      headers: { 'X-Token': 'abc' },
      auth: { type: 'bearer', token: 'sekret' },
    },
    { type: 'ntfy', topic: 'plant', token: 'tk' },
  ];

  it('masks secrets for storage and display and puts them back for sending', () => {
    const { shown, secrets } = splitActionSecrets(actions);
    expect(JSON.stringify(shown)).not.toMatch(/abc|sekret|tk"/);
    expect(shown[1]).toMatchObject({ headers: { 'X-Token': '***' }, auth: { type: 'bearer', token: '***' } });
    expect(joinActionSecrets(shown, secrets)).toEqual(actions);
  });

  it('keeps stored secrets when a client sends the masked ones back', () => {
    const { shown } = splitActionSecrets(actions);
    const edited = shown.map((a) => (a.type === 'webhook' ? { ...a, url: 'https://other.example.com' } : a));
    expect(keepMaskedSecrets(edited, actions)[1]).toEqual({ ...actions[1], url: 'https://other.example.com' });
    expect(keepMaskedSecrets(edited, actions)[2]).toEqual(actions[2]);
  });
});
