import { createHash, createHmac, randomBytes } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Random bytes for the secrets of a bundle. Without a seed the key is 256 fresh random bits; with one it is
 * SHA-256 of the seed, so the same seed gives the same secrets. Each secret is HMAC-SHA256 in counter mode
 * over its own label (`POSTGRES_ADMIN_PASSWORD`), so adding a service to a seeded stack does not change the
 * secrets of the others, and knowing one secret reveals nothing about another.
 */
export class SecretSource {
  private readonly key: Buffer;
  readonly seeded: boolean;

  constructor(seed?: string) {
    this.seeded = seed !== undefined;
    this.key =
      seed === undefined
        ? randomBytes(32)
        : createHash('sha256').update('fieldline/stack-secrets/v1\0').update(seed).digest();
  }

  /** Bytes of the stream for one label; `offset` skips the first bytes (for rejection sampling). */
  bytes(label: string, length: number, offset = 0): Buffer {
    const blocks: Buffer[] = [];
    const first = Math.floor(offset / 32);
    const last = Math.ceil((offset + length) / 32);
    for (let counter = first; counter < last; counter++) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(counter);
      blocks.push(createHmac('sha256', this.key).update(label).update('\0').update(c).digest());
    }
    const start = offset - first * 32;
    return Buffer.concat(blocks).subarray(start, start + length);
  }

  /** Letters and digits only: survives .env files, URLs, shells and YAML unquoted. ~5.95 bits per character. */
  password(label: string, length = 32): string {
    let out = '';
    let offset = 0;
    // Rejection sampling: bytes >= 248 (4 * 62) are skipped so every character is equally likely.
    while (out.length < length) {
      const chunk = this.bytes(label, 64, offset);
      offset += chunk.length;
      for (const b of chunk) {
        if (b >= 248) continue;
        out += ALPHANUMERIC[b % 62];
        if (out.length === length) break;
      }
    }
    return out;
  }

  hex(label: string, bytes = 32): string {
    return this.bytes(label, bytes).toString('hex');
  }

  base64url(label: string, bytes = 32): string {
    return this.bytes(label, bytes).toString('base64url');
  }
}
