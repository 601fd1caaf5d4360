import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, newId } from '../kernel/index.js';
import { isUniqueViolation } from '../storage/index.js';
import { generatePassword } from './accounts.js';
import { hashPassword } from './passwords.js';
import type { AuthStore, OrganizationRow } from './store.js';

export const ADMIN_PASSWORD_FILE = 'admin-password.txt';

export interface BootstrapResult {
  created: boolean;
  username: string;
  /** The generated password (null when it came from FIELDLINE_ADMIN_PASSWORD or nothing was created). */
  generatedPassword: string | null;
  passwordFile: string | null;
  organizationId: string | null;
}

/** The organization first administrators own; created when missing. */
export async function ensureDefaultOrganization(store: AuthStore, now: number): Promise<OrganizationRow> {
  const existing = await store.organizationBySlug('default');
  if (existing) return existing;
  const org = { id: newId(now), name: 'Default', slug: 'default', settings: '{}', created_at: now, updated_at: now };
  try {
    await store.insertOrganization(org);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  return (await store.organizationBySlug('default')) ?? org;
}

/**
 * First start: when no user exists, create the platform administrator as owner of a "Default" organization.
 * A generated password is returned for printing once and written to the data dir with mode 0600.
 */
export async function bootstrapFirstAdmin(
  store: AuthStore,
  clock: Clock,
  options: { username: string; password: string | null; dataDir: string },
): Promise<BootstrapResult> {
  const none: BootstrapResult = {
    created: false,
    username: options.username,
    generatedPassword: null,
    passwordFile: null,
    organizationId: null,
  };
  if ((await store.countUsers()) > 0) return none;
  const password = options.password ?? generatePassword();
  const now = clock.now();
  const userId = newId(now);
  try {
    await store.insertUser({
      id: userId,
      username: options.username,
      email: null,
      display_name: 'Administrator',
      password_hash: await hashPassword(password),
      is_platform_admin: 1,
      disabled: 0,
      password_changed_at: now,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    });
  } catch (err) {
    // Another node sharing the database bootstrapped first.
    if (isUniqueViolation(err)) return none;
    throw err;
  }
  const org = await ensureDefaultOrganization(store, now);
  await store.addMember(userId, org.id, 'owner', now);
  let passwordFile: string | null = null;
  if (options.password === null) {
    mkdirSync(options.dataDir, { recursive: true });
    passwordFile = join(options.dataDir, ADMIN_PASSWORD_FILE);
    writeFileSync(passwordFile, `${options.username}:${password}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
  }
  return {
    created: true,
    username: options.username,
    generatedPassword: options.password === null ? password : null,
    passwordFile,
    organizationId: org.id,
  };
}
