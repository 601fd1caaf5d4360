import { randomBytes } from 'node:crypto';
import { type Clock, conflict, FieldlineError, forbidden, invalid, newId, notFound } from '../kernel/index.js';
import { isUniqueViolation } from '../storage/index.js';
import { generateApiKey } from './api-keys.js';
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';
import { type Role, roleAtLeast } from './roles.js';
import type { ApiKeyRow, AuthStore, MemberRow, OrganizationRow, UserRow } from './store.js';
import type { TokenService } from './tokens.js';

export interface NewUser {
  username: string;
  email?: string | null;
  display_name?: string | null;
  password?: string | null;
  role: Role;
}

export const generatePassword = (): string => randomBytes(18).toString('base64url');

const slugify = (name: string): string =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48) || 'org';

function checkPassword(field: string, password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw invalid(field, `must be at least ${MIN_PASSWORD_LENGTH} characters`);
}

/**
 * Identity and tenancy rules: logins, organizations, members and their roles, API keys. Routes and the CLI
 * call this; it never trusts a role it was not given by the Authenticator.
 */
export class AccountService {
  constructor(
    private readonly store: AuthStore,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
  ) {}

  /** Checks a password and issues a token for the requested (or the first) organization of the user. */
  async login(username: string, password: string, organizationId?: string) {
    const user = await this.store.userByUsername(username);
    // Verify against a decoy when the user is unknown, so response time does not reveal which usernames exist.
    const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), password);
    if (!user || !ok || user.disabled) {
      throw new FieldlineError('FIELDLINE_ERR_INVALID_CREDENTIALS', 'Unknown username or wrong password');
    }
    const memberships = await this.store.membershipsOf(user.id);
    let orgId = organizationId ?? memberships[0]?.organization_id;
    if (organizationId !== undefined && !memberships.some((m) => m.organization_id === organizationId)) {
      const exists = user.is_platform_admin ? await this.store.organizationById(organizationId) : undefined;
      if (!exists) throw notFound('organization', organizationId);
    }
    if (orgId === undefined && user.is_platform_admin)
      orgId = (await this.store.listOrganizations({ limit: 1 }))[0]?.id;
    if (orgId === undefined) throw forbidden('This account is not a member of any organization');
    await this.store.updateUser(user.id, { last_login_at: this.clock.now() });
    const { token, expiresIn } = this.tokens.issue(user.id, orgId, user.password_changed_at);
    return { user, organizationId: orgId, token, expiresIn };
  }

  async createOrganization(name: string, slug: string | undefined, owner: UserRow): Promise<OrganizationRow> {
    const now = this.clock.now();
    const row: OrganizationRow = {
      id: newId(now),
      name,
      slug: slug ?? slugify(name),
      settings: '{}',
      created_at: now,
      updated_at: now,
    };
    try {
      await this.store.insertOrganization(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`An organization with slug '${row.slug}' already exists`);
      throw err;
    }
    await this.store.addMember(owner.id, row.id, 'owner', now);
    return row;
  }

  /**
   * Adds a member. A username that exists already (a member of another organization) is invited with the
   * given role; a new one is created, with a generated password when none is given (returned once).
   */
  async addMember(
    actor: Principal,
    input: NewUser,
  ): Promise<{ member: MemberRow; initialPassword: string | null; invited: boolean }> {
    this.assertMayGrant(actor, input.role);
    const now = this.clock.now();
    const existing = await this.store.userByUsername(input.username);
    let initialPassword: string | null = null;
    let userId: string;
    if (existing) {
      if (await this.store.membership(existing.id, actor.organizationId)) {
        throw conflict(`'${input.username}' is already a member of this organization`);
      }
      userId = existing.id;
    } else {
      const password = input.password ?? generatePassword();
      checkPassword('password', password);
      if (!input.password) initialPassword = password;
      userId = newId(now);
      try {
        await this.store.insertUser({
          id: userId,
          username: input.username,
          email: input.email ?? null,
          display_name: input.display_name ?? null,
          password_hash: await hashPassword(password),
          is_platform_admin: 0,
          disabled: 0,
          password_changed_at: now,
          created_at: now,
          updated_at: now,
          last_login_at: null,
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`The username '${input.username}' is taken`);
        throw err;
      }
    }
    await this.store.addMember(userId, actor.organizationId, input.role, now);
    const member = await this.store.member(actor.organizationId, userId);
    if (!member) throw new Error('member vanished after insert');
    return { member, initialPassword, invited: existing !== undefined };
  }

  async changeRole(actor: Principal, userId: string, role: Role): Promise<MemberRow> {
    const member = await this.requireMember(actor.organizationId, userId);
    // Granting or taking away ownership is an owner's decision.
    if (member.role === 'owner' || role === 'owner') this.assertMayGrant(actor, 'owner');
    else this.assertMayGrant(actor, role);
    if (member.role === 'owner' && role !== 'owner') await this.assertNotLastOwner(actor.organizationId);
    await this.store.setRole(userId, actor.organizationId, role);
    return { ...member, role };
  }

  async updateProfile(
    actor: Principal,
    userId: string,
    patch: { email?: string | null; display_name?: string | null },
  ) {
    await this.requireMember(actor.organizationId, userId);
    await this.store.updateUser(userId, { ...patch, updated_at: this.clock.now() });
    return this.requireMember(actor.organizationId, userId);
  }

  async removeMember(actor: Principal, userId: string): Promise<MemberRow> {
    const member = await this.requireMember(actor.organizationId, userId);
    if (member.role === 'owner') {
      this.assertMayGrant(actor, 'owner');
      await this.assertNotLastOwner(actor.organizationId);
    }
    await this.store.removeMember(userId, actor.organizationId);
    return member;
  }

  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const user = await this.store.userById(userId);
    // 400 naming the field, not 401: the session is fine, only the confirmation is wrong.
    if (!user || !(await verifyPassword(user.password_hash, current))) throw invalid('current_password', 'is wrong');
    await this.setPassword(user.id, next);
  }

  /** Sets a password and logs every existing session of the user out. */
  async setPassword(userId: string, password: string): Promise<void> {
    checkPassword('new_password', password);
    const now = this.clock.now();
    await this.store.updateUser(userId, {
      password_hash: await hashPassword(password),
      password_changed_at: now,
      updated_at: now,
    });
  }

  async createApiKey(
    actor: Principal,
    name: string,
    role: Role,
    expiresAt: number | null,
  ): Promise<{ row: ApiKeyRow; key: string }> {
    this.assertMayGrant(actor, role);
    const { key, prefix, hash } = generateApiKey();
    const now = this.clock.now();
    const row: ApiKeyRow = {
      id: newId(now),
      organization_id: actor.organizationId,
      name,
      role,
      prefix,
      key_hash: hash,
      created_by: actor.kind === 'user' ? actor.id : null,
      created_at: now,
      last_used_at: null,
      expires_at: expiresAt,
      revoked_at: null,
    };
    await this.store.insertApiKey(row);
    return { row, key };
  }

  private async requireMember(organizationId: string, userId: string): Promise<MemberRow> {
    const member = await this.store.member(organizationId, userId);
    if (!member) throw notFound('user', userId);
    return member;
  }

  private assertMayGrant(actor: Principal, role: Role): void {
    if (!roleAtLeast(actor.role, role)) throw forbidden(`A ${actor.role} cannot grant the ${role} role`);
  }

  private async assertNotLastOwner(organizationId: string): Promise<void> {
    if ((await this.store.countOwners(organizationId)) <= 1) {
      throw conflict('An organization keeps at least one owner; make someone else owner first');
    }
  }
}
