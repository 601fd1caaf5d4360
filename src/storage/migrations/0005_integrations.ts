import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema of their time
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  // Connections to systems outside Fieldline (external MQTT brokers, outbound webhooks, Golioth), one
  // organization each. `config` is JSON without its secrets; `secrets` is the sealed (SecretBox) JSON of
  // passwords, keys and tokens, bound to the row. status: active | inactive (the user's choice) | error
  // (active, but failing: set and cleared by the platform).
  await db.schema
    .createTable('integrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('secrets', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_sync_at', 'bigint')
    .addColumn('sync_status', 'text')
    .addColumn('error_message', 'text')
    .addUniqueConstraint('integrations_org_name', ['organization_id', 'name'])
    .execute();
  await db.schema.createIndex('integrations_org_id').on('integrations').columns(['organization_id', 'id']).execute();
  await db.schema.createIndex('integrations_type').on('integrations').columns(['type', 'status']).execute();

  // What an MQTT integration subscribes to, and what it does with each message (actions, JSON array).
  // The counters are running totals, flushed from memory every few seconds.
  await db.schema
    .createTable('integration_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('description', 'text')
    .addColumn('qos', 'integer')
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('messages_received', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('actions_executed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('actions_failed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('integration_subscriptions_integration')
    .on('integration_subscriptions')
    .columns(['integration_id', 'id'])
    .execute();

  // Which Fieldline device stands for which device of an integration (a Golioth device id): created on first
  // sight, and how commands to that device find their way out (Golioth RPC).
  await db.schema
    .createTable('integration_device_links')
    .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('integration_device_links_pk', ['integration_id', 'external_id'])
    .execute();
  await db.schema
    .createIndex('integration_device_links_device')
    .on('integration_device_links')
    .column('device_id')
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const table of ['integration_device_links', 'integration_subscriptions', 'integrations']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
