import { Type } from 'typebox';
import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { StoredPayload } from './dispatcher.js';
import type { MailboxRow } from './mailbox-store.js';
import type { OutboxRow } from './outbox-store.js';
import type { NotificationSettings } from './settings-store.js';
import { MASK, maskedTarget } from './targets.js';
import type { CHANNELS, OUTBOX_STATUSES } from './types.js';

/** The HTTP shapes of notifications, and the functions that render rows into them (secrets always ***). */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Emails = Type.Array(Type.String({ format: 'email', maxLength: 254 }), { maxItems: 50 });

export const ChannelSchema = Type.Union([
  Type.Literal('email'),
  Type.Literal('webhook'),
  Type.Literal('ntfy'),
]) satisfies {
  anyOf: { const: (typeof CHANNELS)[number] }[];
};
export const StatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('sending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
  Type.Literal('dead'),
]) satisfies { anyOf: { const: (typeof OUTBOX_STATUSES)[number] }[] };

export const NotificationView = Type.Object({
  id: Type.String(),
  channel: ChannelSchema,
  event: Type.String(),
  status: StatusSchema,
  target: Type.Record(Type.String(), Type.Unknown()),
  alert_id: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  severity: Nullable(Type.String()),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  next_attempt_at: Nullable(Type.String()),
  last_error: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
  delivered_at: Nullable(Type.String()),
});

export function notificationView(r: OutboxRow, maxAttempts: number) {
  const payload = JSON.parse(r.payload) as StoredPayload;
  const subject = payload.email?.subject ?? payload.ntfy?.title ?? null;
  const waiting = r.status === 'pending' || r.status === 'failed';
  return {
    id: r.id,
    channel: r.channel as (typeof CHANNELS)[number],
    event: r.event,
    status: r.status as (typeof OUTBOX_STATUSES)[number],
    target: maskedTarget(JSON.parse(r.target) as Record<string, unknown>, r.target_secret !== null),
    alert_id: r.alert_id,
    subject,
    severity: payload.meta?.severity ?? null,
    attempts: r.attempts,
    max_attempts: maxAttempts,
    next_attempt_at: waiting ? toIso(r.next_attempt_at) : null,
    last_error: r.last_error,
    created_at: toIso(r.created_at),
    updated_at: toIso(r.updated_at),
    delivered_at: toIsoOrNull(r.delivered_at),
  };
}

export const TestResultView = Type.Object({
  ok: Type.Boolean(),
  channel: ChannelSchema,
  detail: Nullable(Type.String()),
  error: Nullable(Type.String()),
  status_code: Nullable(Type.Integer()),
  transport: Nullable(Type.Union([Type.Literal('smtp'), Type.Literal('mailbox')])),
  duration_ms: Type.Number(),
});

export const MailboxView = Type.Object({
  id: Type.String(),
  notification_id: Nullable(Type.String()),
  from: Type.String(),
  to: Type.Array(Type.String()),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  created_at: Type.String(),
});

export const mailboxView = (m: MailboxRow) => ({
  id: m.id,
  notification_id: m.notification_id,
  from: m.from_address,
  to: JSON.parse(m.recipients) as string[],
  subject: m.subject,
  text: m.text,
  html: m.html,
  created_at: toIso(m.created_at),
});

const RecipientsSettingSchema = Type.Object(
  { enabled: Type.Boolean(), recipients: Emails },
  { additionalProperties: false },
);

export const SmtpSettingsBody = Type.Object(
  {
    host: Type.String({ pattern: '^[A-Za-z0-9.:\\[\\]-]{1,253}$', description: 'host name or address' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    secure: Type.Optional(Type.Boolean({ description: 'implicit TLS (port 465)' })),
    require_tls: Type.Optional(Type.Boolean({ description: 'refuse to send unless STARTTLS succeeds' })),
    username: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 320 }))),
    password: Type.Optional(
      Nullable(Type.String({ minLength: 1, maxLength: 1000, description: 'write-only; omit to keep the current one' })),
    ),
    from_address: Type.String({ format: 'email', maxLength: 254 }),
    from_name: Type.Optional(Nullable(Type.String({ maxLength: 200, pattern: '^[^\\r\\n]*$' }))),
  },
  { additionalProperties: false },
);

export const SettingsBody = Type.Object(
  {
    smtp: Type.Optional(Nullable(SmtpSettingsBody)),
    daily_summary: Type.Optional(RecipientsSettingSchema),
    device_offline: Type.Optional(RecipientsSettingSchema),
  },
  { additionalProperties: false },
);

export const SettingsView = Type.Object({
  email_transport: Type.Union([
    Type.Literal('organization_smtp'),
    Type.Literal('platform_smtp'),
    Type.Literal('mailbox'),
  ]),
  smtp: Nullable(
    Type.Object({
      host: Type.String(),
      port: Type.Integer(),
      secure: Type.Boolean(),
      require_tls: Type.Boolean(),
      username: Nullable(Type.String()),
      password: Nullable(Type.String()),
      from_address: Type.String(),
      from_name: Nullable(Type.String()),
    }),
  ),
  signing_secret: Nullable(Type.String()),
  signing_secret_rotated_at: Nullable(Type.String()),
  daily_summary: Type.Object({ enabled: Type.Boolean(), recipients: Type.Array(Type.String()) }),
  device_offline: Type.Object({ enabled: Type.Boolean(), recipients: Type.Array(Type.String()) }),
  updated_at: Nullable(Type.String()),
});

export const settingsView = (
  s: NotificationSettings,
  emailTransport: 'organization_smtp' | 'platform_smtp' | 'mailbox',
) => ({
  email_transport: emailTransport,
  smtp: s.smtp ? { ...s.smtp, password: s.smtpPasswordSet ? MASK : null } : null,
  signing_secret: s.signingSecretSet ? MASK : null,
  signing_secret_rotated_at: toIsoOrNull(s.signingSecretRotatedAt),
  daily_summary: s.dailySummary,
  device_offline: s.deviceOffline,
  updated_at: toIsoOrNull(s.updatedAt),
});
