import { createHmac, timingSafeEqual } from 'node:crypto';

/** Seconds a receiver should accept between X-Fieldline-Timestamp and its own clock (replay window). */
export const SIGNATURE_TOLERANCE_S = 300;

/**
 * `sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`. Signing the timestamp with the body lets a
 * receiver reject a captured request replayed later, as Stripe and Slack do.
 */
export function signPayload(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** What a receiver does (and what the docs show): recompute, compare in constant time, check the window. */
export function verifyPayload(
  secret: string,
  timestampHeader: string,
  body: string,
  signatureHeader: string,
  nowS: number,
  toleranceS = SIGNATURE_TOLERANCE_S,
): boolean {
  const ts = Number(timestampHeader);
  if (!/^\d+$/.test(timestampHeader) || Math.abs(nowS - ts) > toleranceS) return false;
  const expected = Buffer.from(signPayload(secret, ts, body));
  const given = Buffer.from(signatureHeader);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
