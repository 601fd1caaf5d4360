import { describe, expect, it } from 'vitest';
import { renderTemplate } from './payload-template.js';

const doc = {
  event: 'alert.raised',
  alert: { severity: 'critical', value: 28.5, tags: ['a'] },
  device_name: 'Pump "7"',
};

describe('payload templates', () => {
  it('keeps the type of a lone placeholder and writes text inside strings', () => {
    expect(
      renderTemplate(
        {
          text: '{{alert.severity}} on {{device_name}}: {{alert.value}}',
          value: '{{alert.value}}',
          tags: '{{ alert.tags }}',
          nested: [{ e: '{{event}}' }, 3, true, null],
          missing: '{{nope.nothing}}',
          inText: 'x{{nope}}y',
        },
        doc,
      ),
    ).toEqual({
      text: 'critical on Pump "7": 28.5',
      value: 28.5,
      tags: ['a'],
      nested: [{ e: 'alert.raised' }, 3, true, null],
      missing: null,
      inText: 'xy',
    });
  });

  it('produces valid JSON even when values hold quotes', () => {
    const body = JSON.stringify(renderTemplate({ t: '"{{device_name}}"' }, doc));
    expect(JSON.parse(body)).toEqual({ t: '"Pump "7""' });
  });

  it('does not read inherited properties', () => {
    expect(renderTemplate('{{constructor}}', doc)).toBeNull();
    expect(renderTemplate('{{alert.__proto__}}', doc)).toBeNull();
  });
});
