import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import { type Clock, type Logger, newId } from '../kernel/index.js';
import type { MailboxStore } from './mailbox-store.js';
import { abortable, errorText, type SendResult } from './send-result.js';
import type { NotificationSettingsStore, OrgSmtpSettings } from './settings-store.js';
import { type SsrfGuard, SsrfRefusal } from './ssrf-guard.js';

export interface EmailMessage {
  to: string[];
  subject: string;
  html: string;
  text: string;
}

export type EmailTransportKind = 'organization_smtp' | 'platform_smtp' | 'mailbox';

export interface EmailSenderOptions {
  /** FIELDLINE_SMTP_URL; null → the built-in mailbox unless an organization has its own server. */
  smtpUrl: string | null;
  smtpFrom: string;
  settings: NotificationSettingsStore;
  mailbox: MailboxStore;
  /** Guards organizations' own SMTP hosts (an organization admin must not aim at the platform's network). */
  guard: SsrfGuard;
  clock: Clock;
  log: Logger;
}

// Bounded waits: nodemailer's defaults (2 min to connect, 10 min of socket silence) would hold a worker slot
// far longer than any healthy server needs.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };
const TLS = { rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
/** An organization's transport is rebuilt this often, so a changed DNS answer is re-resolved and re-checked. */
const ORG_TRANSPORT_TTL_MS = 10 * 60_000;

interface OrgTransport {
  version: number;
  createdAt: number;
  transporter: Transporter;
  from: { name: string; address: string } | string;
}

/**
 * Email over pooled SMTP: an organization's own server when it has one, else FIELDLINE_SMTP_URL, else the
 * built-in mailbox. STARTTLS is used whenever the server offers it (and required with require_tls or
 * smtps://), always with certificate verification.
 */
export class EmailSender {
  private platform: Transporter | null = null;
  private readonly orgs = new Map<string, OrgTransport>();

  constructor(private readonly o: EmailSenderOptions) {}

  async transportKind(organizationId: string): Promise<EmailTransportKind> {
    if ((await this.o.settings.get(organizationId)).smtp) return 'organization_smtp';
    return this.o.smtpUrl ? 'platform_smtp' : 'mailbox';
  }

  async send(
    organizationId: string,
    message: EmailMessage,
    notificationId: string | null,
    event: string,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    let transport: { transporter: Transporter; from: OrgTransport['from'] } | null;
    try {
      transport = await this.transportFor(organizationId);
    } catch (err) {
      return { ok: false, error: errorText(err), permanent: err instanceof SsrfRefusal };
    }
    if (!transport) {
      await this.o.mailbox.insert({
        id: newId(),
        organization_id: organizationId,
        notification_id: notificationId,
        from_address: this.o.smtpFrom,
        recipients: JSON.stringify(message.to),
        subject: message.subject,
        html: message.html,
        text: message.text,
        created_at: this.o.clock.now(),
      });
      return { ok: true, detail: 'stored in the built-in mailbox (no SMTP server configured)', transport: 'mailbox' };
    }
    const fromAddress = typeof transport.from === 'string' ? transport.from : transport.from.address;
    const domain = /@([^>\s]+)>?\s*$/.exec(fromAddress)?.[1] ?? 'fieldline.invalid';
    try {
      const info = (await abortable(
        transport.transporter.sendMail({
          from: transport.from,
          to: message.to,
          subject: message.subject,
          html: message.html,
          text: message.text,
          // A stable Message-ID per notification lets mail systems drop the duplicate of a retried send.
          ...(notificationId ? { messageId: `<${notificationId}@${domain}>` } : {}),
          headers: {
            'X-Fieldline-Event': event,
            ...(notificationId ? { 'X-Fieldline-Delivery': notificationId } : {}),
          },
        }),
        signal,
      )) as { response?: string; rejected?: unknown[] };
      return { ok: true, detail: info.response ?? 'accepted', transport: 'smtp' };
    } catch (err) {
      const e = err as { code?: string; responseCode?: number; message?: string };
      // 5xx to the envelope or the message is a verdict (unknown recipient, too large); the rest is an outage.
      const permanent =
        typeof e.responseCode === 'number' &&
        e.responseCode >= 500 &&
        (e.code === 'EENVELOPE' || e.code === 'EMESSAGE');
      return { ok: false, error: `SMTP: ${errorText(err)}`, permanent };
    }
  }

  private async transportFor(
    organizationId: string,
  ): Promise<{ transporter: Transporter; from: OrgTransport['from'] } | null> {
    const own = await this.o.settings.smtpOf(organizationId);
    if (own) {
      const now = this.o.clock.now();
      const cached = this.orgs.get(organizationId);
      if (cached && cached.version === own.version && now - cached.createdAt < ORG_TRANSPORT_TTL_MS) return cached;
      cached?.transporter.close();
      const built: OrgTransport = {
        version: own.version,
        createdAt: now,
        transporter: await this.orgTransport(own.smtp, own.password),
        from: { name: own.smtp.from_name ?? 'Fieldline', address: own.smtp.from_address },
      };
      this.orgs.set(organizationId, built);
      return built;
    }
    const stale = this.orgs.get(organizationId);
    if (stale) {
      stale.transporter.close();
      this.orgs.delete(organizationId);
    }
    if (!this.o.smtpUrl) return null;
    this.platform ??= nodemailer.createTransport({
      url: this.o.smtpUrl,
      pool: true,
      maxConnections: 5,
      ...TIMEOUTS,
      tls: TLS,
      logger: false,
    });
    return { transporter: this.platform, from: this.o.smtpFrom };
  }

  private async orgTransport(smtp: OrgSmtpSettings, password: string | null): Promise<Transporter> {
    // Connect to the address the guard checked; the certificate is still verified against the host name.
    const [checked] = await this.o.guard.resolve(smtp.host);
    const host = checked!.address;
    return nodemailer.createTransport({
      host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: smtp.require_tls,
      ...(smtp.username ? { auth: { user: smtp.username, pass: password ?? '' } } : {}),
      pool: true,
      maxConnections: 3,
      ...TIMEOUTS,
      tls: { ...TLS, ...(isIP(smtp.host) ? {} : { servername: smtp.host }) },
      logger: false,
    });
  }

  close(): void {
    this.platform?.close();
    this.platform = null;
    for (const t of this.orgs.values()) t.transporter.close();
    this.orgs.clear();
  }
}
