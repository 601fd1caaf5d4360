import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SECRET_KEY_FILE = 'secret.key';

export interface ResolvedSecret {
  secret: string;
  /** 'env' when FIELDLINE_SECRET_KEY was set, 'file' when read from the data dir, 'generated' on first start. */
  source: 'env' | 'file' | 'generated';
}

/**
 * FIELDLINE_SECRET_KEY when set; otherwise the key in `<dataDir>/secret.key`, generated (mode 0600) on first
 * start. Losing this file invalidates every token and every encrypted credential, so it is never rewritten.
 */
export function resolveSecretKey(configured: string | null, dataDir: string): ResolvedSecret {
  if (configured) return { secret: configured, source: 'env' };
  const path = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    if (secret.length < 32) throw new Error(`${path} holds fewer than 32 characters; restore it or remove it`);
    return { secret, source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // 'wx' fails if another process created the file meanwhile; then that process's key is the one.
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveSecretKey(null, dataDir);
    throw err;
  }
  return { secret, source: 'generated' };
}

/** Purpose-bound keys derived from the one secret (HKDF-SHA256, RFC 5869), so no two uses share key material. */
export class Keyring {
  constructor(private readonly secret: string) {}

  derive(purpose: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.secret, 'fieldline', `fieldline/${purpose}`, length));
  }
}
