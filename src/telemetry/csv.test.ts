import { describe, expect, it } from 'vitest';
import { csvField, telemetryCsv } from './csv.js';

describe('csvField', () => {
  it('writes plain texts, numbers and booleans as they are', () => {
    expect(csvField('auto')).toBe('auto');
    expect(csvField(21.5)).toBe('21.5');
    expect(csvField(-5)).toBe('-5');
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField(false)).toBe('false');
  });

  it('quotes separators, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField({ modes: ['a', 'b'], n: 1 })).toBe('"{""modes"":[""a"",""b""],""n"":1}"');
  });

  it('keeps a text a spreadsheet would run as a formula from running (OWASP CSV injection)', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(csvField(`${lead}1+2`)).toBe(`"'${lead}1+2"`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    // A text that merely looks like a number is a text: only numbers are left as they are.
    expect(csvField('-5')).toBe(`"'-5"`);
    // Further in, the same characters are harmless.
    expect(csvField('a=b-c')).toBe('a=b-c');
    expect(csvField('')).toBe('');
  });
});

describe('telemetryCsv', () => {
  it('writes a header and a line per point, keys and device ids escaped like values', () => {
    const at = Date.parse('2026-01-01T00:00:00Z');
    expect(
      telemetryCsv('dev-1', {
        temperature: [
          { ts: at, value: -1.5 },
          { ts: at + 1000, value: 2 },
        ],
        '=cmd': [{ ts: at, value: '@SUM(A1)' }],
      }),
    ).toBe(
      [
        'device_id,key,ts,value',
        'dev-1,temperature,2026-01-01T00:00:00.000Z,-1.5',
        'dev-1,temperature,2026-01-01T00:00:01.000Z,2',
        `dev-1,"'=cmd",2026-01-01T00:00:00.000Z,"'@SUM(A1)"`,
        '',
      ].join('\n'),
    );
    expect(telemetryCsv('-x', {})).toBe('device_id,key,ts,value\n');
  });
});
