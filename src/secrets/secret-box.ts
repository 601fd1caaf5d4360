import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
// NIST SP 800-38D §8.2.2: a random 96-bit IV; with fresh IVs per value GCM stays safe far beyond our volumes.
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export interface SecretKey {
  /** Short, stable fingerprint of the key, stored with every value so the right key opens it. */
  id: string;
  key: Buffer;
}

/** The fingerprint of a 32-byte key: 8 base64url characters of its SHA-256 (identifies, reveals nothing). */
export const keyIdOf = (key: Buffer): string =>
  createHash('sha256').update('fieldline/key-id').update(key).digest('base64url').slice(0, 8);

/**
 * Authenticated encryption of secrets at rest (SMTP passwords, signing secrets, integration credentials):
 * AES-256-GCM under a key derived from FIELDLINE_SECRET_KEY, each value sealed as
 * `v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url). The key id lets older values be opened with a previous
 * key while new ones are sealed with the current key, which is what `fieldline secrets rotate` needs.
 *
 * An optional context (AAD) binds a value to where it is stored (`org:<id>:smtp_password`), so a ciphertext
 * copied into another row or organization does not open.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: SecretKey | Buffer, previous: readonly (SecretKey | Buffer)[] = []) {
    const norm = (k: SecretKey | Buffer): SecretKey => (Buffer.isBuffer(k) ? { id: keyIdOf(k), key: k } : k);
    const cur = norm(current);
    for (const k of [cur, ...previous.map(norm)]) {
      if (k.key.length !== 32) throw new SecretBoxError(`key ${k.id} must be 32 bytes, not ${k.key.length}`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(k.id)) throw new SecretBoxError(`key id ${JSON.stringify(k.id)} is invalid`);
      if (!this.keys.has(k.id)) this.keys.set(k.id, k.key);
    }
    this.currentKeyId = cur.id;
  }

  /** The box for credentials: the key is `Keyring.derive('credentials')`; previous keyrings open older values. */
  static forCredentials(keyring: Keyring, previous: readonly Keyring[] = []): SecretBox {
    return new SecretBox(
      keyring.derive('credentials'),
      previous.map((k) => k.derive('credentials')),
    );
  }

  seal(plaintext: string, context = ''): string {
    const key = this.keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.currentKeyId,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ct.toString('base64url'),
    ].join(':');
  }

  open(sealed: string, context = ''): string {
    const parts = sealed.split(':');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed value of format v1');
    const [, keyId, ivText, tagText, ctText] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new SecretBoxError(`sealed under key ${keyId}, which this server does not hold`);
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError('malformed sealed value');
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // Never echo the value: a wrong key, a wrong context and a tampered value all look the same.
      throw new SecretBoxError('sealed value failed authentication (wrong key, wrong context or tampered)');
    }
  }

  /** True when the value is sealed under an older key and should be re-sealed (`fieldline secrets rotate`). */
  needsReseal(sealed: string): boolean {
    return SecretBox.keyIdOf(sealed) !== this.currentKeyId;
  }

  /** Opens with whichever key sealed it and seals again under the current key. */
  reseal(sealed: string, context = ''): string {
    return this.needsReseal(sealed) ? this.seal(this.open(sealed, context), context) : sealed;
  }

  static isSealed(value: string): boolean {
    return /^v1:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]*$/.test(value);
  }

  static keyIdOf(sealed: string): string | null {
    const parts = sealed.split(':');
    return parts.length === 5 && parts[0] === VERSION ? (parts[1] ?? null) : null;
  }
}
