import { toIso } from '../kernel/index.js';
import type { NotificationContent } from './content.js';
import type { AlertEvent, AlertNotice, DailySummaryData, DeviceOfflineNotice } from './types.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface EmailContext {
  /** FIELDLINE_PUBLIC_URL, for links back to the platform. */
  publicUrl: string | null;
}

/** Severity → colour of the banner and badge (readable on white, WCAG AA with white text). */
export const SEVERITY_COLOURS: Record<string, string> = {
  critical: '#b91c1c',
  warning: '#b45309',
  info: '#1d4ed8',
};
const RESOLVED_COLOUR = '#15803d';
const NEUTRAL_COLOUR = '#4b5563';

const colourOf = (severity: string) => SEVERITY_COLOURS[severity] ?? NEUTRAL_COLOUR;

/** Every value that reaches HTML goes through here: device names, messages and values are user data. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Subjects are one line: a newline in a device name must not become a header (nodemailer encodes the rest). */
const oneLine = (s: string, max = 200) =>
  s
    .replace(/[\r\n\t]+/g, ' ')
    .trim()
    .slice(0, max);

const formatValue = (v: unknown): string =>
  v === null || v === undefined ? '—' : typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : String(v);

const link = (ctx: EmailContext, path: string) => (ctx.publicUrl ? `${ctx.publicUrl.replace(/\/$/, '')}${path}` : null);

type Row = [label: string, value: string];

function layout(o: {
  title: string;
  accent: string;
  badge: string;
  lead: string;
  rows: Row[];
  extraHtml?: string;
  action?: { href: string; label: string } | null;
  footnote?: string;
}): string {
  const rows = o.rows
    .map(
      ([k, v]) =>
        `<tr><td style="padding:6px 12px 6px 0;color:#6b7280;white-space:nowrap;vertical-align:top">${escapeHtml(k)}</td>` +
        `<td style="padding:6px 0;color:#111827">${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  const action = o.action
    ? `<p style="margin:20px 0 0"><a href="${escapeHtml(o.action.href)}" style="display:inline-block;background:${o.accent};color:#ffffff;text-decoration:none;padding:10px 16px;border-radius:4px">${escapeHtml(o.action.label)}</a></p>`
    : '';
  const foot = o.footnote
    ? `<p style="margin:16px 0 0;color:#6b7280;font-size:12px">${escapeHtml(o.footnote)}</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(o.title)}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;padding:24px 0"><tr><td align="center">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-radius:6px;overflow:hidden">
<tr><td style="background:${o.accent};color:#ffffff;padding:16px 24px;font-size:18px;font-weight:600">
<span style="display:inline-block;border:1px solid #ffffff;border-radius:3px;padding:1px 6px;font-size:12px;margin-right:8px">${escapeHtml(o.badge)}</span>${escapeHtml(o.title)}</td></tr>
<tr><td style="padding:20px 24px;font-size:14px;line-height:1.5">
<p style="margin:0 0 16px;color:#111827;font-size:15px">${escapeHtml(o.lead)}</p>
<table role="presentation" cellpadding="0" cellspacing="0" style="font-size:14px">${rows}</table>${o.extraHtml ?? ''}${action}${foot}
</td></tr>
<tr><td style="padding:12px 24px;background:#f9fafb;color:#9ca3af;font-size:12px">Sent by Fieldline</td></tr>
</table></td></tr></table></body></html>`;
}

function textOf(title: string, lead: string, rows: Row[], tail: string[] = []): string {
  const width = Math.max(...rows.map(([k]) => k.length), 0);
  return [title, '', lead, '', ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), ...tail, '', '— Fieldline'].join(
    '\n',
  );
}

const ALERT_WORDING: Record<AlertEvent, { tag: (sev: string) => string; lead: string }> = {
  'alert.raised': { tag: (s) => s.toUpperCase(), lead: 'An alert was raised.' },
  'alert.resolved': { tag: () => 'RESOLVED', lead: 'The alert was resolved.' },
  'alert.acknowledged': { tag: () => 'ACKNOWLEDGED', lead: 'The alert was acknowledged.' },
  'alert.reminder': {
    tag: (s) => `REMINDER ${s.toUpperCase()}`,
    lead: 'The alert is still active and nobody has acknowledged it.',
  },
  'alert.escalated': { tag: (s) => `ESCALATED ${s.toUpperCase()}`, lead: 'The alert was escalated.' },
};

export function alertEmail(event: AlertEvent, a: AlertNotice, ctx: EmailContext): RenderedEmail {
  const wording = ALERT_WORDING[event];
  const rule = a.rule_name ?? 'Alert';
  const tag = wording.tag(a.severity);
  const where = a.device_name ?? a.device_id ?? 'organization';
  const accent = event === 'alert.resolved' ? RESOLVED_COLOUR : colourOf(a.severity);
  const rows: Row[] = [
    ['Device', where],
    ['Rule', rule],
    ['Severity', a.severity],
    ['Value', formatValue(a.value)],
    ['Threshold', formatValue(a.threshold)],
    ['Status', a.status],
    ['Raised at', toIso(a.created_at)],
  ];
  if (a.acknowledged_at) rows.push(['Acknowledged at', `${toIso(a.acknowledged_at)} by ${a.acknowledged_by ?? '—'}`]);
  if (a.resolved_at) rows.push(['Resolved at', toIso(a.resolved_at)]);
  const href = link(ctx, `/alerts/${encodeURIComponent(a.id)}`);
  return {
    subject: oneLine(`[${tag}] ${rule} — ${where}`),
    html: layout({
      title: `${rule} — ${where}`,
      accent,
      badge: tag,
      lead: `${wording.lead} ${a.message}`,
      rows,
      action: href ? { href, label: 'Open the alert' } : null,
    }),
    text: textOf(`[${tag}] ${rule} — ${where}`, `${wording.lead} ${a.message}`, rows, href ? ['', href] : []),
  };
}

export function deviceOfflineEmail(d: DeviceOfflineNotice, ctx: EmailContext): RenderedEmail {
  const rows: Row[] = [
    ['Device', d.device_name],
    ['Device id', d.device_id],
    ['Offline since', toIso(d.offline_since)],
    ['Last seen', d.last_seen_at ? toIso(d.last_seen_at) : 'never'],
  ];
  const href = link(ctx, `/devices/${encodeURIComponent(d.device_id)}`);
  const lead = `${d.device_name} stopped reporting and is offline.`;
  return {
    subject: oneLine(`[OFFLINE] ${d.device_name} stopped reporting`),
    html: layout({
      title: d.device_name,
      accent: SEVERITY_COLOURS.warning!,
      badge: 'OFFLINE',
      lead,
      rows,
      action: href ? { href, label: 'Open the device' } : null,
    }),
    text: textOf(`[OFFLINE] ${d.device_name}`, lead, rows, href ? ['', href] : []),
  };
}

export function dailySummaryEmail(s: DailySummaryData, ctx: EmailContext): RenderedEmail {
  const day = toIso(s.to).slice(0, 10);
  const rows: Row[] = [
    ['Period', `${toIso(s.from)} – ${toIso(s.to)}`],
    ['Alerts raised', String(s.alerts.raised)],
    ['Alerts resolved', String(s.alerts.resolved)],
    ['Open alerts', s.alerts.open === null ? '—' : String(s.alerts.open)],
    ...Object.entries(s.alerts.by_severity).map(([sev, n]): Row => [`  ${sev}`, String(n)]),
    ['Notifications delivered', String(s.notifications.delivered)],
    ['Notifications failing', String(s.notifications.failed + s.notifications.pending)],
    ['Notifications dead', String(s.notifications.dead)],
  ];
  const top = s.alerts.top_devices;
  const topHtml =
    top.length === 0
      ? ''
      : `<p style="margin:16px 0 6px;color:#111827;font-weight:600">Devices with the most alerts</p><ol style="margin:0;padding-left:20px">${top
          .map(
            (t) =>
              `<li>${escapeHtml(t.device_name ?? t.device_id ?? 'organization')} — ${escapeHtml(String(t.count))}</li>`,
          )
          .join('')}</ol>`;
  const footnote =
    s.source === 'notifications' ? 'Alert figures are counted from the alert notifications Fieldline sent.' : undefined;
  const lead = `What happened in ${s.organization_name} in the last 24 hours.`;
  const href = link(ctx, '/alerts');
  return {
    subject: oneLine(`Fieldline daily summary — ${s.organization_name} — ${day}`),
    html: layout({
      title: `Daily summary — ${s.organization_name}`,
      accent: '#111827',
      badge: day,
      lead,
      rows,
      extraHtml: topHtml,
      action: href ? { href, label: 'Open the alerts' } : null,
      ...(footnote ? { footnote } : {}),
    }),
    text: textOf(`Daily summary — ${s.organization_name} — ${day}`, lead, rows, [
      ...(top.length ? ['', 'Devices with the most alerts:'] : []),
      ...top.map((t, i) => `${i + 1}. ${t.device_name ?? t.device_id ?? 'organization'} — ${t.count}`),
      ...(footnote ? ['', footnote] : []),
    ]),
  };
}

export function renderEmail(content: NotificationContent, ctx: EmailContext): RenderedEmail {
  switch (content.kind) {
    case 'alert':
      return alertEmail(content.event, content.alert, ctx);
    case 'device_offline':
      return deviceOfflineEmail(content.device, ctx);
    case 'daily_summary':
      return dailySummaryEmail(content.summary, ctx);
    case 'test': {
      const lead = 'This is a test message. If you can read it, email notifications from Fieldline reach you.';
      const rows: Row[] = [
        ['Requested by', content.requested_by],
        ['Sent at', toIso(content.at)],
      ];
      return {
        subject: 'Fieldline test message',
        html: layout({ title: 'Test message', accent: RESOLVED_COLOUR, badge: 'TEST', lead, rows }),
        text: textOf('Fieldline test message', lead, rows),
      };
    }
    case 'message': {
      const rows: Row[] = [
        ['Severity', content.severity],
        ['Sent at', toIso(content.at)],
      ];
      return {
        subject: oneLine(content.subject),
        html: layout({
          title: content.subject,
          accent: colourOf(content.severity),
          badge: content.severity.toUpperCase(),
          lead: content.message,
          rows,
        }),
        text: textOf(oneLine(content.subject), content.message, rows),
      };
    }
  }
}
