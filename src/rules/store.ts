import type { Kysely, Selectable } from 'kysely';
import type { Database, RulesTable } from '../storage/index.js';
import type { PendingStore } from './engine.js';

export type RuleRow = Selectable<RulesTable>;

export interface RuleFilter {
  organizationId: string;
  deviceId?: string;
  deviceType?: string;
  ruleType?: string;
  enabled?: boolean;
  after?: string;
  limit: number;
}

/** The rules table and the running durations (rule_state). */
export class RuleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: RuleRow): Promise<void> {
    await this.db.insertInto('rules').values(row).execute();
  }

  byId(organizationId: string, id: string): Promise<RuleRow | undefined> {
    return this.db
      .selectFrom('rules')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
  }

  list(f: RuleFilter): Promise<RuleRow[]> {
    let q = this.db.selectFrom('rules').selectAll().where('organization_id', '=', f.organizationId);
    if (f.deviceId) q = q.where('device_id', '=', f.deviceId);
    if (f.deviceType) q = q.where('device_type', '=', f.deviceType);
    if (f.ruleType) q = q.where('rule_type', '=', f.ruleType);
    if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
    if (f.after) q = q.where('id', '>', f.after);
    return q.orderBy('id').limit(f.limit).execute();
  }

  byIds(ids: readonly string[]): Promise<RuleRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('rules')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
  }

  enabled(): Promise<RuleRow[]> {
    return this.db.selectFrom('rules').selectAll().where('enabled', '=', 1).orderBy('id').execute();
  }

  /** Replaces a rule's fields; its running durations start over (the conditions may have changed). */
  async update(id: string, patch: Partial<Omit<RuleRow, 'id' | 'organization_id'>>): Promise<void> {
    await this.db.updateTable('rules').set(patch).where('id', '=', id).execute();
    await this.db.deleteFrom('rule_state').where('rule_id', '=', id).execute();
  }

  /** Deletes a rule; its running durations go with it (foreign key, on delete cascade). */
  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('rules').where('id', '=', id).execute();
  }

  pending(): Promise<{ rule_id: string; device_id: string; pending_since: number }[]> {
    return this.db.selectFrom('rule_state').selectAll().execute();
  }

  /** The engine's view of rule_state. */
  readonly pendingStore: PendingStore = {
    save: (ruleId, deviceId, since) => this.savePending(ruleId, deviceId, since),
    delete: (ruleId, deviceId) => this.deletePending(ruleId, deviceId),
  };

  async savePending(ruleId: string, deviceId: string, since: number): Promise<void> {
    await this.db
      .insertInto('rule_state')
      .values({ rule_id: ruleId, device_id: deviceId, pending_since: since })
      .onConflict((oc) => oc.columns(['rule_id', 'device_id']).doUpdateSet({ pending_since: since }))
      .execute();
  }

  async deletePending(ruleId: string, deviceId: string): Promise<void> {
    await this.db.deleteFrom('rule_state').where('rule_id', '=', ruleId).where('device_id', '=', deviceId).execute();
  }

  async forgetDevice(deviceId: string): Promise<void> {
    await this.db.deleteFrom('rule_state').where('device_id', '=', deviceId).execute();
  }
}
