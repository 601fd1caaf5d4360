import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema of their time
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  // The durable outbox: a notification is a row before anything is sent, so a crash or an outage delays it
  // but never loses it. Secret parts of a target (auth headers, tokens) are sealed in target_secret.
  await db.schema
    .createTable('notification_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('target_secret', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addUniqueConstraint('notification_outbox_idempotency', ['organization_id', 'idempotency_key'])
    .execute();
  // What the workers claim: rows waiting (pending, failed) or whose lease ran out (sending; next_attempt_at
  // is then the lease end), by due time. Partial, so delivered and dead history never slows a claim.
  await sql`create index notification_outbox_claim on notification_outbox (next_attempt_at)
    where status in ('pending', 'failed', 'sending')`.execute(db);
  // Backlog counts per status (/health) and the oldest due row.
  await db.schema
    .createIndex('notification_outbox_status')
    .on('notification_outbox')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('notification_outbox_org_id')
    .on('notification_outbox')
    .columns(['organization_id', 'id'])
    .execute();
  await db.schema
    .createIndex('notification_outbox_org_alert')
    .on('notification_outbox')
    .columns(['organization_id', 'alert_id'])
    .execute();

  // The built-in mailbox: what would have been emailed, when no SMTP server is configured.
  await db.schema
    .createTable('mailbox_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('notification_id', 'text')
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mailbox_messages_org_id')
    .on('mailbox_messages')
    .columns(['organization_id', 'id'])
    .execute();

  // Per-organization settings: its own SMTP server (password sealed), webhook signing secret (sealed),
  // daily summary and device-offline recipients.
  await db.schema
    .createTable('notification_settings')
    .addColumn('organization_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('smtp', 'text')
    .addColumn('smtp_password', 'text')
    .addColumn('signing_secret', 'text')
    .addColumn('signing_secret_rotated_at', 'bigint')
    .addColumn('daily_summary', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('device_offline', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const table of ['notification_settings', 'mailbox_messages', 'notification_outbox']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
