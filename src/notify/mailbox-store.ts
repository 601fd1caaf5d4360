import type { Kysely, Selectable } from 'kysely';
import type { Database, MailboxMessagesTable } from '../storage/index.js';

export type MailboxRow = Selectable<MailboxMessagesTable>;

/**
 * The built-in mailbox: with no SMTP server configured, email "delivery" stores the message here, so a new
 * user sees in `GET /api/v1/mailbox` exactly what would have been sent.
 */
export class MailboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: MailboxRow): Promise<void> {
    await this.db.insertInto('mailbox_messages').values(row).execute();
  }

  list(organizationId: string, before: string | undefined, limit: number): Promise<MailboxRow[]> {
    let q = this.db.selectFrom('mailbox_messages').selectAll().where('organization_id', '=', organizationId);
    if (before) q = q.where('id', '<', before);
    return q.orderBy('id', 'desc').limit(limit).execute();
  }

  get(organizationId: string, id: string): Promise<MailboxRow | undefined> {
    return this.db
      .selectFrom('mailbox_messages')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async prune(before: number): Promise<number> {
    const r = await this.db.deleteFrom('mailbox_messages').where('created_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
