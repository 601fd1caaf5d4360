import { afterEach, describe, expect, it, vi } from 'vitest';
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

  describe('after a first successful check', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('still refuses the token once it has expired', () => {
      vi.useFakeTimers({ now: Date.now() });
      const tokens = new TokenService(key, 60);
      const { token } = tokens.issue('u1', 'o1', 1);
      expect(tokens.verify(token).sub).toBe('u1');
      vi.setSystemTime(Date.now() + 61_000);
      expect(() => tokens.verify(token)).toThrow(/expired/);
    });

    it('refuses an altered copy of a token it accepted', () => {
      const tokens = new TokenService(key, 3600);
      const { token } = tokens.issue('u1', 'o1', 1);
      tokens.verify(token);
      const altered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      expect(() => tokens.verify(altered)).toThrow(/invalid/);
    });
  });
});
