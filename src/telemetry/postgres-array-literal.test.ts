import { describe, expect, it } from 'vitest';
import { nullArray, nullableNumberArray, numberArray, textArray } from './postgres-array-literal.js';

describe('PostgreSQL array literals', () => {
  it('writes numbers in their shortest exact form', () => {
    expect(numberArray(Float64Array.from([1_700_000_000_000, 0.1, -2.5, 1e21, 5e-7]))).toBe(
      '{1700000000000,0.1,-2.5,1e+21,5e-7}',
    );
    expect(numberArray(new Uint8Array(0))).toBe('{}');
  });

  it('writes NULL where a number is absent', () => {
    expect(nullableNumberArray(Float64Array.from([1, 0, 3]), (i) => i !== 1)).toBe('{1,NULL,3}');
  });

  it('quotes every text element and escapes quotes and backslashes', () => {
    expect(textArray(['plain', null, 'a "quoted", {braced} word', 'back\\slash', '', 'NULL', 'ü ✓'])).toBe(
      '{"plain",NULL,"a \\"quoted\\", {braced} word","back\\\\slash","","NULL","ü ✓"}',
    );
  });

  it('writes n NULLs', () => {
    expect(nullArray(3)).toBe('{NULL,NULL,NULL}');
    expect(nullArray(0)).toBe('{}');
  });
});
