import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database, OrganizationsTable, UsersTable } from '../storage/index.js';
import type { Role } from './roles.js';

export type UserRow = Selectable<UsersTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;

export interface MemberRow extends UserRow {
  role: Role;
  member_since: number;
}

/** A write that changes who may authenticate as what; caches of credentials drop what it touched. */
export type CredentialChange =
  | { kind: 'user'; userId: string }
  | { kind: 'membership'; userId: string; organizationId: string }
  | { kind: 'organization_deleted'; organizationId: string }
  | { kind: 'api_key'; keyHash: string };

/** The tables of tenancy and identity: organizations, users, memberships, API keys. */
export class AuthStore {
  private readonly listeners: ((change: CredentialChange) => Promise<void>)[] = [];

  constructor(private readonly db: Kysely<Database>) {}

  /** Called after every credential write; the write resolves once every listener has (caches of all nodes). */
  onCredentialChange(listener: (change: CredentialChange) => Promise<void>): void {
    this.listeners.push(listener);
  }

  private async changed(change: CredentialChange): Promise<void> {
    await Promise.all(this.listeners.map((l) => l(change)));
  }

  userByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  userById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async countUsers(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertUser(row: UserRow): Promise<void> {
    await this.db.insertInto('users').values(row).execute();
  }

  async updateUser(id: string, patch: Partial<Omit<UserRow, 'id'>>): Promise<void> {
    await this.db.updateTable('users').set(patch).where('id', '=', id).execute();
    await this.changed({ kind: 'user', userId: id });
  }

  organizationById(id: string): Promise<OrganizationRow | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  organizationBySlug(slug: string): Promise<OrganizationRow | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  listOrganizations(filter: { userId?: string; after?: string; limit: number }): Promise<OrganizationRow[]> {
    let q = this.db.selectFrom('organizations').selectAll('organizations');
    if (filter.userId !== undefined) {
      q = q
        .innerJoin('memberships', 'memberships.organization_id', 'organizations.id')
        .where('memberships.user_id', '=', filter.userId);
    }
    if (filter.after !== undefined) q = q.where('organizations.id', '>', filter.after);
    return q.orderBy('organizations.id').limit(filter.limit).execute();
  }

  async insertOrganization(row: OrganizationRow): Promise<void> {
    await this.db.insertInto('organizations').values(row).execute();
  }

  async updateOrganization(id: string, patch: Partial<Omit<OrganizationRow, 'id'>>): Promise<void> {
    await this.db.updateTable('organizations').set(patch).where('id', '=', id).execute();
  }

  async deleteOrganization(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    await this.changed({ kind: 'organization_deleted', organizationId: id });
    return Number(r.numDeletedRows) > 0;
  }

  async membership(userId: string, organizationId: string): Promise<Role | undefined> {
    const row = await this.db
      .selectFrom('memberships')
      .select('role')
      .where('user_id', '=', userId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row?.role as Role | undefined;
  }

  async membershipsOf(userId: string): Promise<{ organization_id: string; role: Role; name: string }[]> {
    const rows = await this.db
      .selectFrom('memberships')
      .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
      .select(['memberships.organization_id', 'memberships.role', 'organizations.name'])
      .where('memberships.user_id', '=', userId)
      .orderBy('memberships.created_at')
      .execute();
    return rows.map((r) => ({ ...r, role: r.role as Role }));
  }

  async addMember(userId: string, organizationId: string, role: Role, now: number): Promise<void> {
    await this.db
      .insertInto('memberships')
      .values({ user_id: userId, organization_id: organizationId, role, created_at: now })
      .execute();
    await this.changed({ kind: 'membership', userId, organizationId });
  }

  async setRole(userId: string, organizationId: string, role: Role): Promise<void> {
    await this.db
      .updateTable('memberships')
      .set({ role })
      .where('user_id', '=', userId)
      .where('organization_id', '=', organizationId)
      .execute();
    await this.changed({ kind: 'membership', userId, organizationId });
  }

  async removeMember(userId: string, organizationId: string): Promise<void> {
    await this.db
      .deleteFrom('memberships')
      .where('user_id', '=', userId)
      .where('organization_id', '=', organizationId)
      .execute();
    await this.changed({ kind: 'membership', userId, organizationId });
  }

  async countOwners(organizationId: string): Promise<number> {
    const row = await this.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', organizationId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async members(organizationId: string, after: string | undefined, limit: number): Promise<MemberRow[]> {
    let q = this.db
      .selectFrom('users')
      .innerJoin('memberships', 'memberships.user_id', 'users.id')
      .selectAll('users')
      .select(['memberships.role', 'memberships.created_at as member_since'])
      .where('memberships.organization_id', '=', organizationId);
    if (after !== undefined) q = q.where('users.id', '>', after);
    const rows = await q.orderBy('users.id').limit(limit).execute();
    return rows as MemberRow[];
  }

  async member(organizationId: string, userId: string): Promise<MemberRow | undefined> {
    const row = await this.db
      .selectFrom('users')
      .innerJoin('memberships', 'memberships.user_id', 'users.id')
      .selectAll('users')
      .select(['memberships.role', 'memberships.created_at as member_since'])
      .where('memberships.organization_id', '=', organizationId)
      .where('users.id', '=', userId)
      .executeTakeFirst();
    return row as MemberRow | undefined;
  }

  apiKeyByHash(hash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
  }

  apiKeys(organizationId: string): Promise<ApiKeyRow[]> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('id')
      .execute();
  }

  async insertApiKey(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async revokeApiKey(organizationId: string, id: string, now: number): Promise<boolean> {
    const key = await this.db
      .selectFrom('api_keys')
      .select('key_hash')
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (key) await this.changed({ kind: 'api_key', keyHash: key.key_hash });
    return Number(r.numUpdatedRows) > 0;
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  }
}
