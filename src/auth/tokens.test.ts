import { describe, expect, it } from 'vitest';
import { FieldlineError } from '../kernel/index.js';
import { TokenService } from './tokens.js';

const key = Buffer.alloc(32, 7);

describe('TokenService', () => {
  it('round-trips user and organization', () => {
    const tokens = new TokenService(key, 3600);
    const { token, expiresIn } = tokens.issue('u1', 'o1', 1);
    expect(expiresIn).toBe(3600);
    expect(tokens.verify(token)).toMatchObject({ sub: 'u1', org: 'o1' });
  });

  it('refuses an expired token with its own code', () => {
    const past = new TokenService(key, 60, () => Date.now() - 2 * 3600_000);
    const { token } = past.issue('u1', 'o1', 1);
    const err = (() => {
      try {
        new TokenService(key, 60).verify(token);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FieldlineError);
    expect((err as FieldlineError).code).toBe('FIELDLINE_ERR_TOKEN_EXPIRED');
  });

  it('refuses a token signed with another key, or garbage', () => {
    const { token } = new TokenService(Buffer.alloc(32, 8), 3600).issue('u1', 'o1', 1);
    expect(() => new TokenService(key, 3600).verify(token)).toThrow(/invalid/);
    expect(() => new TokenService(key, 3600).verify('not.a.jwt')).toThrow(/invalid/);
  });
});
