import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema of their time
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  // Rules keep the conditions and actions as the user wrote them (JSON text); secret parts of actions
  // (webhook auth and header values, ntfy tokens) are sealed apart in actions_secret.
  await db.schema
    .createTable('rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('device_id', 'text')
    .addColumn('device_type', 'text')
    .addColumn('rule_type', 'text', (c) => c.notNull())
    .addColumn('conditions', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('actions_secret', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('auto_resolve', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('message', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rules_org_id').on('rules').columns(['organization_id', 'id']).execute();

  // Alerts outlive their rule and their device (history), so rule_id and device_id are not foreign keys.
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('threshold', 'text')
    .addColumn('escalation_level', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    .addColumn('notes', 'text')
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolved_by', 'text')
    .execute();
  // At most one open alert per rule×device, enforced by the database on both dialects (a partial unique index):
  // a second node, or a race after a restart, cannot raise a duplicate.
  await db.schema
    .createIndex('alerts_one_open')
    .on('alerts')
    .columns(['rule_id', 'device_id'])
    .unique()
    .where(sql.ref('status'), '<>', 'resolved')
    .execute();
  await db.schema.createIndex('alerts_org_id').on('alerts').columns(['organization_id', 'id']).execute();
  await db.schema
    .createIndex('alerts_org_device')
    .on('alerts')
    .columns(['organization_id', 'device_id', 'id'])
    .execute();
  await db.schema.createIndex('alerts_org_status').on('alerts').columns(['organization_id', 'status', 'id']).execute();
  await db.schema.createIndex('alerts_resolved_at').on('alerts').columns(['resolved_at']).execute();

  // Durations that are running (condition true, not long enough yet), so a restart continues them.
  await db.schema
    .createTable('rule_state')
    .addColumn('rule_id', 'text', (c) => c.notNull().references('rules.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('pending_since', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_state_pk', ['rule_id', 'device_id'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const table of ['rule_state', 'alerts', 'rules']) await db.schema.dropTable(table).ifExists().execute();
}
