import { hashSecret, newSecret } from '../kernel/index.js';

/** API keys read `flk_<8-char prefix>_<secret>`: the prefix lets an admin tell keys apart without the secret. */
export const API_KEY_PATTERN = /^flk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = newSecret(6);
  const key = `flk_${prefix}_${newSecret(32)}`;
  return { key, prefix, hash: hashSecret(key) };
}

export const looksLikeApiKey = (token: string): boolean => token.startsWith('flk_');
