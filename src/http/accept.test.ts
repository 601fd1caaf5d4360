import { describe, expect, it } from 'vitest';
import { preferredType } from './accept.js';

describe('preferredType', () => {
  const pick = (accept: string | undefined) => preferredType(accept, ['application/json', 'text/csv']);

  it('answers the first offered without a preference', () => {
    expect(pick(undefined)).toBe('application/json');
    expect(pick('*/*')).toBe('application/json');
    // A browser's default header.
    expect(pick('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe('application/json');
  });

  it('follows q-values, the most specific range deciding for each type', () => {
    expect(pick('text/csv')).toBe('text/csv');
    expect(pick('text/csv;q=0.5, application/json;q=0.9')).toBe('application/json');
    expect(pick('application/json;q=0.2, text/csv')).toBe('text/csv');
    expect(pick('*/*;q=0.1, text/csv')).toBe('text/csv');
    expect(pick('text/*')).toBe('text/csv');
    expect(pick('TEXT/CSV ; Q=0.8, application/json ; q=0.7')).toBe('text/csv');
  });

  it('never chooses a refused type over another', () => {
    expect(pick('application/json;q=0, text/csv;q=0.1')).toBe('text/csv');
    expect(pick('text/csv;q=0')).toBe('application/json');
  });
});
