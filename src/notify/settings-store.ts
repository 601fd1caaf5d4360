import type { Kysely, Selectable } from 'kysely';
import { type Clock, newSecret } from '../kernel/index.js';
import type { SecretBox } from '../secrets/index.js';
import type { Database, NotificationSettingsTable } from '../storage/index.js';

type SettingsRow = Selectable<NotificationSettingsTable>;

/** An organization's own SMTP server; its password is sealed separately. */
export interface OrgSmtpSettings {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure: boolean;
  /** Refuse to send unless the server upgrades with STARTTLS. */
  require_tls: boolean;
  username: string | null;
  from_address: string;
  from_name: string | null;
}

export interface RecipientsSetting {
  enabled: boolean;
  recipients: string[];
}

export interface NotificationSettings {
  organizationId: string;
  smtp: OrgSmtpSettings | null;
  smtpPasswordSet: boolean;
  signingSecretSet: boolean;
  signingSecretRotatedAt: number | null;
  dailySummary: RecipientsSetting;
  deviceOffline: RecipientsSetting;
  updatedAt: number | null;
}

export interface SettingsPatch {
  /** null removes the organization's SMTP server (the platform's, or the mailbox, is used again). */
  smtp?: (OrgSmtpSettings & { password?: string | null }) | null;
  daily_summary?: RecipientsSetting;
  device_offline?: RecipientsSetting;
}

const SECRET_CACHE_MS = 30_000;
const OFF: RecipientsSetting = { enabled: false, recipients: [] };

const parseRecipients = (text: string): RecipientsSetting => {
  const v = JSON.parse(text || '{}') as Partial<RecipientsSetting>;
  return { enabled: v.enabled === true, recipients: Array.isArray(v.recipients) ? v.recipients : [] };
};

/**
 * Per-organization notification settings. The SMTP password and the webhook signing secret are sealed with
 * the credentials SecretBox, bound to the organization (a sealed value copied to another row does not open).
 */
export class NotificationSettingsStore {
  private readonly secretCache = new Map<string, { secret: string; at: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  private row(organizationId: string): Promise<SettingsRow | undefined> {
    return this.db
      .selectFrom('notification_settings')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
  }

  private async ensureRow(organizationId: string): Promise<void> {
    await this.db
      .insertInto('notification_settings')
      .values({
        organization_id: organizationId,
        smtp: null,
        smtp_password: null,
        signing_secret: null,
        signing_secret_rotated_at: null,
        daily_summary: '{}',
        device_offline: '{}',
        updated_at: this.clock.now(),
      })
      .onConflict((oc) => oc.column('organization_id').doNothing())
      .execute();
  }

  async get(organizationId: string): Promise<NotificationSettings> {
    const r = await this.row(organizationId);
    return {
      organizationId,
      smtp: r?.smtp ? (JSON.parse(r.smtp) as OrgSmtpSettings) : null,
      smtpPasswordSet: Boolean(r?.smtp_password),
      signingSecretSet: Boolean(r?.signing_secret),
      signingSecretRotatedAt: r?.signing_secret_rotated_at ?? null,
      dailySummary: r ? parseRecipients(r.daily_summary) : OFF,
      deviceOffline: r ? parseRecipients(r.device_offline) : OFF,
      updatedAt: r?.updated_at ?? null,
    };
  }

  /** The organization's SMTP server with its password opened, and a version that changes with every edit. */
  async smtpOf(
    organizationId: string,
  ): Promise<{ smtp: OrgSmtpSettings; password: string | null; version: number } | null> {
    const r = await this.row(organizationId);
    if (!r?.smtp) return null;
    return {
      smtp: JSON.parse(r.smtp) as OrgSmtpSettings,
      password: r.smtp_password ? this.box.open(r.smtp_password, this.context(organizationId, 'smtp_password')) : null,
      version: r.updated_at,
    };
  }

  async update(organizationId: string, patch: SettingsPatch): Promise<NotificationSettings> {
    await this.ensureRow(organizationId);
    const set: Partial<SettingsRow> = { updated_at: this.clock.now() };
    if (patch.smtp === null) {
      set.smtp = null;
      set.smtp_password = null;
    } else if (patch.smtp !== undefined) {
      const { password, ...smtp } = patch.smtp;
      set.smtp = JSON.stringify(smtp);
      if (password === null) set.smtp_password = null;
      else if (password !== undefined)
        set.smtp_password = this.box.seal(password, this.context(organizationId, 'smtp_password'));
    }
    if (patch.daily_summary) set.daily_summary = JSON.stringify(patch.daily_summary);
    if (patch.device_offline) set.device_offline = JSON.stringify(patch.device_offline);
    await this.db.updateTable('notification_settings').set(set).where('organization_id', '=', organizationId).execute();
    return this.get(organizationId);
  }

  /** The secret webhooks of this organization are signed with; created on first use. */
  async signingSecret(organizationId: string): Promise<string> {
    const cached = this.secretCache.get(organizationId);
    const now = this.clock.now();
    if (cached && now - cached.at < SECRET_CACHE_MS) return cached.secret;
    let r = await this.row(organizationId);
    if (!r?.signing_secret) {
      await this.ensureRow(organizationId);
      // Only fills an empty slot: two nodes racing here agree on whichever secret was written first.
      await this.db
        .updateTable('notification_settings')
        .set({
          signing_secret: this.box.seal(generateSigningSecret(), this.context(organizationId, 'signing_secret')),
          signing_secret_rotated_at: now,
        })
        .where('organization_id', '=', organizationId)
        .where('signing_secret', 'is', null)
        .execute();
      r = await this.row(organizationId);
    }
    const secret = this.box.open(r!.signing_secret!, this.context(organizationId, 'signing_secret'));
    this.secretCache.set(organizationId, { secret, at: now });
    return secret;
  }

  /** Replaces the signing secret; the new one is returned once and never shown again. */
  async rotateSigningSecret(organizationId: string): Promise<{ secret: string; rotatedAt: number }> {
    await this.ensureRow(organizationId);
    const secret = generateSigningSecret();
    const now = this.clock.now();
    await this.db
      .updateTable('notification_settings')
      .set({
        signing_secret: this.box.seal(secret, this.context(organizationId, 'signing_secret')),
        signing_secret_rotated_at: now,
        updated_at: now,
      })
      .where('organization_id', '=', organizationId)
      .execute();
    this.secretCache.set(organizationId, { secret, at: now });
    return { secret, rotatedAt: now };
  }

  /** Organizations whose daily summary is on, with its recipients. */
  async dailySummaryRecipients(): Promise<{ organizationId: string; recipients: string[] }[]> {
    const rows = await this.db
      .selectFrom('notification_settings')
      .select(['organization_id', 'daily_summary'])
      .execute();
    return rows
      .map((r) => ({ organizationId: r.organization_id, setting: parseRecipients(r.daily_summary) }))
      .filter((r) => r.setting.enabled && r.setting.recipients.length > 0)
      .map((r) => ({ organizationId: r.organizationId, recipients: r.setting.recipients }));
  }

  private context(organizationId: string, field: string): string {
    return `notification_settings:${organizationId}:${field}`;
  }
}

/** `whsec_` + 256 random bits; the whole string is the HMAC key. */
export const generateSigningSecret = (): string => `whsec_${newSecret(32)}`;
