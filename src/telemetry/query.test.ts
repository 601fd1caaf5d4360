import { describe, expect, it } from 'vitest';
import { parseInterval } from './query.js';

describe('parseInterval', () => {
  it('reads the units users write', () => {
    expect(parseInterval('60s')).toBe(60_000);
    expect(parseInterval('5m')).toBe(300_000);
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('1d')).toBe(86_400_000);
    expect(parseInterval('250ms')).toBe(250);
    expect(parseInterval('30')).toBe(30_000);
  });

  it('refuses what is not a positive duration', () => {
    for (const bad of ['', '0s', '-5m', '1w', 'soon', '1.5h']) expect(parseInterval(bad)).toBeNull();
  });
});
