import { afterEach, describe, expect, it } from 'vitest';
import type { TestApp } from './helpers/app.js';
import { createOrgWithMembers } from './helpers/app.js';
import { freePort, orgIdOf, sampleAlert, startNotifyApp, startSmtpSink, waitFor } from './helpers/notify.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await startNotifyApp(env);
  cleanups.push(t.close);
  return t;
}

async function sink(o: Parameters<typeof startSmtpSink>[0] = {}) {
  const s = await startSmtpSink(o);
  cleanups.push(s.close);
  return s;
}

const notification = async (t: TestApp, id: string) =>
  (await t.api(`/api/v1/notifications/${id}`, { token: t.adminToken })).body;

describe('email notifications', () => {
  it('delivers an alert email over real SMTP: subject, HTML with escaped values, plain text', async () => {
    const smtp = await sink();
    const t = await app({
      FIELDLINE_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      FIELDLINE_SMTP_FROM: 'Plant Alerts <alerts@plant.example>',
      FIELDLINE_PUBLIC_URL: 'https://fieldline.plant.example',
    });
    const org = await orgIdOf(t);
    const alert = sampleAlert(org, {
      device_name: 'Boiler <script>alert("x")</script> & Co',
      message: 'Pressure 9.5 bar > 8 bar <b>now</b>',
      value: 9.5,
      threshold: 8,
    });
    const [result] = await t.app.notifications.notifier.enqueueAlertNotifications(alert, [
      { type: 'alert' },
      { type: 'email', recipients: ['ops@plant.example', 'lead@plant.example'], severity: 'critical' },
    ]);
    expect(result).toMatchObject({ index: 1, type: 'email', notification: { created: true } });
    const id = result!.notification!.id;

    const mail = await waitFor(() => smtp.messages[0], 'the email');
    expect(mail.subject).toBe('[CRITICAL] High Temperature Alert — Boiler <script>alert("x")</script> & Co');
    expect(mail.from?.text).toBe('"Plant Alerts" <alerts@plant.example>');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual([
      'ops@plant.example',
      'lead@plant.example',
    ]);
    expect(mail.messageId).toBe(`<${id}@plant.example>`);
    expect(mail.headers.get('x-fieldline-event')).toBe('alert.raised');
    expect(mail.headers.get('x-fieldline-delivery')).toBe(id);
    const html = String(mail.html);
    expect(html).toContain('Boiler &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>now</b>');
    expect(html).toContain('#b91c1c');
    expect(html).toContain(`https://fieldline.plant.example/alerts/${alert.id}`);
    expect(mail.text).toContain('Boiler <script>alert("x")</script> & Co');
    expect(mail.text).toMatch(/Value\s+9\.5/);
    expect(mail.text).toMatch(/Threshold\s+8/);

    const row = await waitFor(async () => {
      const n = await notification(t, id);
      return n.status === 'delivered' ? n : null;
    }, 'delivered status');
    expect(row).toMatchObject({ channel: 'email', event: 'alert.raised', alert_id: alert.id, attempts: 1 });

    // The same alert event again (a restart, a second node) sends nothing twice.
    const again = await t.app.notifications.notifier.enqueueAlertNotifications(alert, [
      { type: 'alert' },
      { type: 'email', recipients: ['ops@plant.example', 'lead@plant.example'] },
    ]);
    expect(again[0]?.notification).toEqual({ id, created: false });
    const list = await t.api(`/api/v1/notifications?alert_id=${alert.id}`, { token: t.adminToken });
    expect(list.body.items).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('retries while the SMTP server is down and delivers once it is back', async () => {
    const port = await freePort();
    const t = await app({ FIELDLINE_SMTP_URL: `smtp://127.0.0.1:${port}`, FIELDLINE_NOTIFY_RETRY_BASE_MS: '200' });
    const sent = await t.api('/api/v1/notifications', {
      token: t.adminToken,
      body: {
        channel: 'email',
        target: { recipients: ['ops@plant.example'] },
        subject: 'Compressor 3 maintenance',
        message: 'Due tomorrow',
      },
    });
    expect(sent.status).toBe(202);
    const id: string = sent.body.id;

    const failing = await waitFor(async () => {
      const n = await notification(t, id);
      return n.status === 'failed' && n.attempts >= 2 ? n : null;
    }, 'two failed attempts');
    expect(failing.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(failing.next_attempt_at).not.toBeNull();

    const smtp = await sink({ port });
    const delivered = await waitFor(async () => {
      const n = await notification(t, id);
      return n.status === 'delivered' ? n : null;
    }, 'delivery after the outage');
    expect(delivered.attempts).toBeGreaterThanOrEqual(3);
    expect(smtp.messages.map((m) => m.subject)).toEqual(['Compressor 3 maintenance']);
  });

  it('stores mail in the built-in mailbox when no SMTP server is configured', async () => {
    const t = await app();
    const settings = await t.api('/api/v1/notifications/settings', { token: t.adminToken });
    expect(settings.body.email_transport).toBe('mailbox');
    const sent = await t.api('/api/v1/notifications', {
      token: t.adminToken,
      body: {
        channel: 'email',
        target: { recipients: ['new.user@example.com'] },
        subject: 'Welcome <Plant>',
        message: 'Hello & welcome',
        severity: 'warning',
      },
    });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await notification(t, sent.body.id)).status === 'delivered', 'mailbox delivery');
    const box = await t.api('/api/v1/mailbox', { token: t.adminToken });
    expect(box.status).toBe(200);
    expect(box.body.items).toHaveLength(1);
    const msg = box.body.items[0];
    expect(msg).toMatchObject({
      notification_id: sent.body.id,
      to: ['new.user@example.com'],
      subject: 'Welcome <Plant>',
    });
    expect(msg.html).toContain('Hello &amp; welcome');
    expect(msg.text).toContain('Hello & welcome');
    expect((await t.api(`/api/v1/mailbox/${msg.id}`, { token: t.adminToken })).body.id).toBe(msg.id);
    expect((await t.api('/health')).body.notifications).toMatchObject({
      status: 'up',
      pending: 0,
      sending: 0,
      dead: 0,
      oldest_due_s: 0,
    });

    // Admins only, and never another organization's mail.
    const other = await createOrgWithMembers(t, 'Other Plant');
    expect((await t.api('/api/v1/mailbox', { token: other.tokens.operator })).status).toBe(403);
    expect((await t.api('/api/v1/mailbox', { token: other.tokens.admin })).body.items).toEqual([]);
    expect((await t.api(`/api/v1/mailbox/${msg.id}`, { token: other.tokens.admin })).status).toBe(404);
    expect((await t.api(`/api/v1/notifications/${sent.body.id}`, { token: other.tokens.admin })).status).toBe(404);
  });

  it("sends through an organization's own SMTP server, with its password sealed at rest", async () => {
    const smtp = await sink({ auth: { user: 'plant', pass: 'org-smtp-pass-1' } });
    const t = await app({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8' });
    const put = await t.api('/api/v1/notifications/settings', {
      method: 'PUT',
      token: t.adminToken,
      body: {
        smtp: {
          host: '127.0.0.1',
          port: smtp.port,
          username: 'plant',
          password: 'org-smtp-pass-1',
          from_address: 'noreply@plant.example',
          from_name: 'North Plant',
        },
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      email_transport: 'organization_smtp',
      smtp: { host: '127.0.0.1', password: '***' },
    });
    const raw = await t.app.storage.db.selectFrom('notification_settings').selectAll().execute();
    expect(JSON.stringify(raw)).not.toContain('org-smtp-pass-1');

    const test = await t.api('/api/v1/notifications/test', {
      token: t.adminToken,
      body: { channel: 'email', target: { recipients: ['ops@plant.example'] } },
    });
    expect(test.body).toMatchObject({ ok: true, channel: 'email', transport: 'smtp' });
    expect(smtp.messages[0]?.subject).toBe('Fieldline test message');
    expect(smtp.messages[0]?.from?.text).toBe('"North Plant" <noreply@plant.example>');

    // Keeping the password: a PUT without it changes the rest and still authenticates.
    await t.api('/api/v1/notifications/settings', {
      method: 'PUT',
      token: t.adminToken,
      body: {
        smtp: { host: '127.0.0.1', port: smtp.port, username: 'plant', from_address: 'ops@plant.example' },
      },
    });
    const again = await t.api('/api/v1/notifications/test', {
      token: t.adminToken,
      body: { channel: 'email', target: { recipients: ['ops@plant.example'] } },
    });
    expect(again.body.ok).toBe(true);
    expect(smtp.logins).toEqual(['plant:org-smtp-pass-1', 'plant:org-smtp-pass-1']);
  });

  it("refuses an organization's SMTP server on a private address by default", async () => {
    const t = await app();
    const put = await t.api('/api/v1/notifications/settings', {
      method: 'PUT',
      token: t.adminToken,
      body: { smtp: { host: '127.0.0.1', port: 25, from_address: 'a@b.example' } },
    });
    expect(put.status).toBe(422);
    expect(put.body.errors[0]).toMatchObject({ field: 'smtp.host', message: expect.stringMatching(/loopback/) });
  });

  it('verifies the certificate when the server offers STARTTLS', async () => {
    const smtp = await sink({ starttls: true });
    const t = await app({ FIELDLINE_SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    const test = await t.api('/api/v1/notifications/test', {
      token: t.adminToken,
      body: { channel: 'email', target: { recipients: ['ops@plant.example'] } },
    });
    expect(test.body.ok).toBe(false);
    expect(test.body.error).toMatch(/certificate/i);
    expect(smtp.messages).toHaveLength(0);
  });

  it('sends the daily summary to the configured recipients', async () => {
    const smtp = await sink();
    const t = await app({ FIELDLINE_SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    // A real alert, raised by a rule: the summary's alert figures come from the alerts themselves.
    for (const [path, body] of [
      ['/api/v1/devices', { id: 'device-001', name: 'Sensor-01' }],
      [
        '/api/v1/rules',
        {
          name: 'High Temperature Alert',
          device_id: 'device-001',
          rule_type: 'threshold',
          conditions: { key: 'temperature', operator: '>', value: 25 },
          actions: [{ type: 'email', recipients: ['ops@plant.example'], severity: 'critical' }],
        },
      ],
      ['/api/v1/telemetry', { device_id: 'device-001', data: { temperature: 28.5 } }],
    ] as const) {
      const r = await t.api(path, { token: t.adminToken, body });
      expect(r.status, r.text).toBeLessThan(300);
    }
    await waitFor(() => smtp.messages.length === 1, 'the alert email');
    await t.api('/api/v1/notifications/settings', {
      method: 'PUT',
      token: t.adminToken,
      body: { daily_summary: { enabled: true, recipients: ['manager@plant.example'] } },
    });
    expect(await t.app.notifications.summary.run()).toBe(1);
    // A second node running the same schedule enqueues nothing more.
    expect(await t.app.notifications.summary.run()).toBe(0);
    const summary = await waitFor(() => smtp.messages[1], 'the summary email');
    expect(summary.subject).toMatch(/^Fieldline daily summary — Default — \d{4}-\d{2}-\d{2}$/);
    expect(summary.text).toMatch(/Alerts raised\s+1/);
    expect(summary.text).toMatch(/Open alerts\s+1/);
    expect(summary.text).toContain('Sensor-01 — 1');
    expect(t.app.notifications.summary.nextRun()).toBeInstanceOf(Date);
  });
});
