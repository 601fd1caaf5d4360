import { describe, expect, it } from 'vitest';
import { alertEmail, dailySummaryEmail, deviceOfflineEmail, escapeHtml, SEVERITY_COLOURS } from './email-templates.js';
import type { AlertNotice } from './types.js';

const alert: AlertNotice = {
  id: 'al-1',
  organization_id: 'org',
  rule_id: 'r-1',
  rule_name: 'High <b>Temperature</b>',
  device_id: 'dev-1',
  device_name: 'Sensor "01" & <script>alert(1)</script>',
  severity: 'critical',
  status: 'active',
  message: 'Temperature 28.5 > 25 <img src=x onerror=alert(1)>',
  value: 28.5,
  threshold: 25,
  created_at: Date.UTC(2026, 0, 2, 3, 4, 5),
};

describe('email templates', () => {
  it('escapes every user value in HTML', () => {
    const { html, text, subject } = alertEmail('alert.raised', alert, { publicUrl: 'https://fl.example' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>Temperature</b>');
    expect(html).toContain('Sensor &quot;01&quot; &amp; &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).toContain('Sensor "01" & <script>alert(1)</script>');
    expect(subject).toBe('[CRITICAL] High <b>Temperature</b> — Sensor "01" & <script>alert(1)</script>');
    expect(html).toContain('href="https://fl.example/alerts/al-1"');
    expect(text).toContain('2026-01-02T03:04:05.000Z');
  });

  it('colours by severity, and green once resolved', () => {
    expect(alertEmail('alert.raised', alert, { publicUrl: null }).html).toContain(SEVERITY_COLOURS.critical);
    expect(alertEmail('alert.raised', { ...alert, severity: 'warning' }, { publicUrl: null }).html).toContain(
      SEVERITY_COLOURS.warning,
    );
    const resolved = alertEmail(
      'alert.resolved',
      { ...alert, resolved_at: alert.created_at + 60_000 },
      { publicUrl: null },
    );
    expect(resolved.subject.startsWith('[RESOLVED]')).toBe(true);
    expect(resolved.html).toContain('#15803d');
    expect(resolved.text).toContain('Resolved at');
  });

  it('keeps subjects on one line', () => {
    const { subject } = deviceOfflineEmail(
      { organization_id: 'o', device_id: 'd', device_name: 'Evil\r\nBcc: x@y.z', last_seen_at: null, offline_since: 0 },
      { publicUrl: null },
    );
    expect(subject).toBe('[OFFLINE] Evil Bcc: x@y.z stopped reporting');
  });

  it('renders the daily summary with its figures and their source', () => {
    const email = dailySummaryEmail(
      {
        organization_id: 'o',
        organization_name: 'Plant <North>',
        from: 0,
        to: 86_400_000,
        source: 'notifications',
        alerts: {
          raised: 3,
          resolved: 1,
          open: null,
          by_severity: { critical: 2, info: 1 },
          top_devices: [{ device_id: 'd1', device_name: 'Pump <1>', count: 2 }],
        },
        notifications: { delivered: 5, failed: 1, dead: 0, pending: 0 },
      },
      { publicUrl: null },
    );
    expect(email.subject).toBe('Fieldline daily summary — Plant <North> — 1970-01-02');
    expect(email.html).toContain('Plant &lt;North&gt;');
    expect(email.html).toContain('Pump &lt;1&gt; — 2');
    expect(email.text).toMatch(/Alerts raised\s+3/);
    expect(email.text).toContain('counted from the alert notifications');
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
