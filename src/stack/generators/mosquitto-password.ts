import { pbkdf2Sync } from 'node:crypto';

/** Mosquitto 2.x defaults (apps/mosquitto_passwd, src/password_mosq.c): PBKDF2-HMAC-SHA512, 12-byte salt. */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
const SALT_LENGTH = 12;
const HASH_LENGTH = 64;

/**
 * One line of a Mosquitto password file, `user:$7$<iterations>$<base64 salt>$<base64 hash>`, exactly what
 * `mosquitto_passwd` writes, so the bundle needs no hashing step after unpacking and holds no plaintext.
 */
export function mosquittoPasswordLine(username: string, password: string, salt: Buffer): string {
  if (salt.length !== SALT_LENGTH) throw new Error(`a Mosquitto salt is ${SALT_LENGTH} bytes`);
  if (username.includes(':') || /\s/.test(username)) throw new Error(`invalid Mosquitto user name '${username}'`);
  const hash = pbkdf2Sync(password, salt, MOSQUITTO_PBKDF2_ITERATIONS, HASH_LENGTH, 'sha512');
  return `${username}:$7$${MOSQUITTO_PBKDF2_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a `$7$` line (used by tests and by anyone auditing a bundle). */
export function verifyMosquittoPassword(line: string, password: string): boolean {
  const match = /^[^:]+:\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(line);
  if (!match) return false;
  const salt = Buffer.from(match[2]!, 'base64');
  const expected = Buffer.from(match[3]!, 'base64');
  const actual = pbkdf2Sync(password, salt, Number(match[1]), expected.length, 'sha512');
  return actual.equals(expected);
}

export const MOSQUITTO_SALT_LENGTH = SALT_LENGTH;
