import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Keyring } from './keyring.js';
import { keyIdOf, SecretBox, SecretBoxError } from './secret-box.js';

const keyring = (s: string) => new Keyring(s.padEnd(40, '.'));

describe('SecretBox', () => {
  it('round-trips any text, and never stores it in the clear', () => {
    const box = SecretBox.forCredentials(keyring('first'));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 40 }), (text, ctx) => {
        const sealed = box.seal(text, ctx);
        expect(SecretBox.isSealed(sealed)).toBe(true);
        expect(box.open(sealed, ctx)).toBe(text);
        if (text.length >= 4) expect(sealed).not.toContain(text);
      }),
    );
  });

  it('stores the key id with the value and uses a fresh IV each time', () => {
    const box = SecretBox.forCredentials(keyring('first'));
    const a = box.seal('hunter22');
    const b = box.seal('hunter22');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(SecretBox.keyIdOf(a)).toBe(box.currentKeyId);
    expect(box.currentKeyId).toBe(keyIdOf(keyring('first').derive('credentials')));
  });

  it('refuses a value opened in another context, tampered, or under an unknown key', () => {
    const box = SecretBox.forCredentials(keyring('first'));
    const sealed = box.seal('hunter22', 'org:a:smtp_password');
    expect(() => box.open(sealed, 'org:b:smtp_password')).toThrow(SecretBoxError);
    const parts = sealed.split(':');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = (ct[0] ?? 0) ^ 1;
    parts[4] = ct.toString('base64url');
    expect(() => box.open(parts.join(':'), 'org:a:smtp_password')).toThrow(/authentication/);
    const other = SecretBox.forCredentials(keyring('second'));
    expect(() => other.open(sealed, 'org:a:smtp_password')).toThrow(/does not hold/);
    expect(() => box.open('plain text')).toThrow(/format v1/);
  });

  it('opens values sealed under a previous key and reseals them under the current one (rotation)', () => {
    const old = SecretBox.forCredentials(keyring('first'));
    const sealed = old.seal('s3cret', 'ctx');
    const rotated = SecretBox.forCredentials(keyring('second'), [keyring('first')]);
    expect(rotated.needsReseal(sealed)).toBe(true);
    const resealed = rotated.reseal(sealed, 'ctx');
    expect(SecretBox.keyIdOf(resealed)).toBe(rotated.currentKeyId);
    expect(rotated.needsReseal(resealed)).toBe(false);
    expect(SecretBox.forCredentials(keyring('second')).open(resealed, 'ctx')).toBe('s3cret');
  });

  it('rejects keys of the wrong size', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
