import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mosquittoPasswordLine, verifyMosquittoPassword } from './mosquitto-password.js';

describe('mosquittoPasswordLine', () => {
  const salt = Buffer.from('000102030405060708090a0b', 'hex');

  it('writes the $7$ PBKDF2-SHA512 line mosquitto_passwd writes (101 iterations, 12-byte salt, 64-byte hash)', () => {
    const line = mosquittoPasswordLine('iiot', 'correct horse', salt);
    const [user, rest] = line.split(':');
    expect(user).toBe('iiot');
    const [, scheme, iterations, b64salt, b64hash] = rest!.split('$');
    expect(scheme).toBe('7');
    expect(iterations).toBe('101');
    expect(Buffer.from(b64salt!, 'base64')).toEqual(salt);
    expect(b64hash).toBe(pbkdf2Sync('correct horse', salt, 101, 64, 'sha512').toString('base64'));
    expect(line).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', () => {
    const line = mosquittoPasswordLine('iiot', 'correct horse', salt);
    expect(verifyMosquittoPassword(line, 'correct horse')).toBe(true);
    expect(verifyMosquittoPassword(line, 'correct horsf')).toBe(false);
  });

  it('refuses user names that would break the file', () => {
    expect(() => mosquittoPasswordLine('a:b', 'x', salt)).toThrow();
    expect(() => mosquittoPasswordLine('iiot', 'x', Buffer.alloc(8))).toThrow();
  });
});
