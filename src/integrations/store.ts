import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type {
  Database,
  IntegrationDeviceLinksTable,
  IntegrationSubscriptionsTable,
  IntegrationsTable,
} from '../storage/index.js';
import type { CounterDelta } from './subscription-counters.js';

export type IntegrationRow = Selectable<IntegrationsTable>;
export type SubscriptionRow = Selectable<IntegrationSubscriptionsTable>;
export type DeviceLinkRow = Selectable<IntegrationDeviceLinksTable>;

export interface IntegrationQuery {
  organizationId: string;
  type?: string;
  status?: string;
  after?: string;
  limit: number;
}

/** The integration tables. Every read that answers a user is scoped by organization. */
export class IntegrationStore {
  constructor(private readonly db: Kysely<Database>) {}

  list(q: IntegrationQuery): Promise<IntegrationRow[]> {
    let query = this.db.selectFrom('integrations').selectAll().where('organization_id', '=', q.organizationId);
    if (q.type) query = query.where('type', '=', q.type);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.after) query = query.where('id', '>', q.after);
    return query.orderBy('id').limit(q.limit).execute();
  }

  async get(organizationId: string, id: string): Promise<IntegrationRow | undefined> {
    return this.db
      .selectFrom('integrations')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Any organization's integration (for the runtime, never for an answer to a user). */
  async byId(id: string): Promise<IntegrationRow | undefined> {
    return this.db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Integrations of a type that should run (active or failing), for the manager. */
  running(type: string): Promise<IntegrationRow[]> {
    return this.db
      .selectFrom('integrations')
      .selectAll()
      .where('type', '=', type)
      .where('status', 'in', ['active', 'error'])
      .execute();
  }

  /** id → updated_at of every integration of a type: what the manager compares to notice changes by other nodes. */
  async versions(type: string): Promise<Map<string, { updated_at: number; status: string }>> {
    const rows = await this.db
      .selectFrom('integrations')
      .select(['id', 'updated_at', 'status'])
      .where('type', '=', type)
      .execute();
    return new Map(rows.map((r) => [r.id, { updated_at: Number(r.updated_at), status: r.status }]));
  }

  async insert(row: IntegrationRow): Promise<void> {
    await this.db.insertInto('integrations').values(row).execute();
  }

  async update(id: string, changes: Updateable<IntegrationsTable>): Promise<void> {
    await this.db.updateTable('integrations').set(changes).where('id', '=', id).execute();
  }

  /** Health fields written by the platform; they do not bump updated_at (which marks configuration changes). */
  async setHealth(
    id: string,
    health: Pick<Updateable<IntegrationsTable>, 'status' | 'sync_status' | 'error_message' | 'last_sync_at'>,
    onlyIfStatusIn?: readonly string[],
  ): Promise<void> {
    let q = this.db.updateTable('integrations').set(health).where('id', '=', id);
    if (onlyIfStatusIn) q = q.where('status', 'in', onlyIfStatusIn);
    await q.execute();
  }

  async delete(organizationId: string, id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('integrations')
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Integrations whose subscriptions forward to this webhook integration (it cannot be deleted under them). */
  async forwardersTo(organizationId: string, webhookId: string): Promise<SubscriptionRow[]> {
    return this.db
      .selectFrom('integration_subscriptions')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('actions', 'like', `%${webhookId}%`)
      .execute();
  }

  // Subscriptions

  subscriptions(integrationId: string): Promise<SubscriptionRow[]> {
    return this.db
      .selectFrom('integration_subscriptions')
      .selectAll()
      .where('integration_id', '=', integrationId)
      .orderBy('id')
      .execute();
  }

  async subscription(integrationId: string, id: string): Promise<SubscriptionRow | undefined> {
    return this.db
      .selectFrom('integration_subscriptions')
      .selectAll()
      .where('integration_id', '=', integrationId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async insertSubscription(row: SubscriptionRow): Promise<void> {
    await this.db.insertInto('integration_subscriptions').values(row).execute();
  }

  async updateSubscription(id: string, changes: Updateable<IntegrationSubscriptionsTable>): Promise<void> {
    await this.db.updateTable('integration_subscriptions').set(changes).where('id', '=', id).execute();
  }

  async deleteSubscription(integrationId: string, id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('integration_subscriptions')
      .where('integration_id', '=', integrationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Adds counter deltas to the rows, in one transaction. */
  async addCounters(deltas: Map<string, CounterDelta>): Promise<void> {
    if (deltas.size === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const [id, d] of deltas) {
        await trx
          .updateTable('integration_subscriptions')
          .set({
            messages_received: sql`messages_received + ${d.received}`,
            actions_executed: sql`actions_executed + ${d.executed}`,
            actions_failed: sql`actions_failed + ${d.failed}`,
            ...(d.lastMessageAt === null
              ? {}
              : {
                  last_message_at: sql`case when last_message_at is null or last_message_at < ${d.lastMessageAt} then ${d.lastMessageAt} else last_message_at end`,
                }),
            ...(d.lastError === null ? {} : { last_error: d.lastError }),
          })
          .where('id', '=', id)
          .execute();
      }
    });
  }

  // Device links

  async link(integrationId: string, externalId: string): Promise<DeviceLinkRow | undefined> {
    return this.db
      .selectFrom('integration_device_links')
      .selectAll()
      .where('integration_id', '=', integrationId)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
  }

  async linkOfDevice(deviceId: string): Promise<DeviceLinkRow | undefined> {
    return this.db
      .selectFrom('integration_device_links')
      .selectAll()
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
  }

  /** Inserts the link unless it exists; answers the one stored. */
  async insertLink(row: DeviceLinkRow): Promise<DeviceLinkRow> {
    await this.db
      .insertInto('integration_device_links')
      .values(row)
      .onConflict((oc) => oc.columns(['integration_id', 'external_id']).doNothing())
      .execute();
    return (await this.link(row.integration_id, row.external_id)) ?? row;
  }

  allLinks(): Promise<DeviceLinkRow[]> {
    return this.db.selectFrom('integration_device_links').selectAll().execute();
  }
}
