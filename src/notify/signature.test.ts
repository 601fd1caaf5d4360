import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPayload, verifyPayload } from './signature.js';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"event":"alert.raised","value":28.5}';

  it('is sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signPayload(secret, 1_700_000_000, body)).toBe(`sha256=${expected}`);
  });

  it('verifies inside the 5-minute window and refuses replays, tampering and other secrets', () => {
    const sig = signPayload(secret, 1_700_000_000, body);
    expect(verifyPayload(secret, '1700000000', body, sig, 1_700_000_299)).toBe(true);
    expect(verifyPayload(secret, '1700000000', body, sig, 1_700_000_301)).toBe(false);
    expect(verifyPayload(secret, '1700000000', `${body} `, sig, 1_700_000_000)).toBe(false);
    expect(verifyPayload('other', '1700000000', body, sig, 1_700_000_000)).toBe(false);
    expect(verifyPayload(secret, '1700000001', body, sig, 1_700_000_000)).toBe(false);
    expect(verifyPayload(secret, 'soon', body, sig, 1_700_000_000)).toBe(false);
  });
});
