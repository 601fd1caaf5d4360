import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/kernel/index.js';
import { type ApiResponse, createOrgWithMembers } from './helpers/app.js';
import { orgIdOf, sampleAlert, startNotifyApp, startReceiver, startSmtpSink, waitFor } from './helpers/notify.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SECRETS = {
  platformSmtpPassword: 'platform-smtp-pass-Q7x',
  orgSmtpPassword: 'org-smtp-pass-K2v',
  bearer: 'tok-bearer-Z9w',
  apiKey: 'key-api-M4t',
  header: 'hdr-value-P1s',
  ntfyToken: 'tk-ntfy-R8u',
};

describe('secrets in notifications', () => {
  it('never shows an SMTP password, signing secret or auth header in logs, API answers or raw rows', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += String(chunk);
        done();
      },
    });
    const platformSmtp = await startSmtpSink({ auth: { user: 'platform', pass: SECRETS.platformSmtpPassword } });
    const orgSmtp = await startSmtpSink({ auth: { user: 'plant', pass: SECRETS.orgSmtpPassword } });
    cleanups.push(platformSmtp.close, orgSmtp.close);
    // Receivers that echo every request header back in their error page.
    const echo = await startReceiver();
    echo.respond((req) => ({ status: 500, body: JSON.stringify(req.headers) }));
    cleanups.push(echo.close);
    const t = await startNotifyApp(
      {
        FIELDLINE_SMTP_URL: `smtp://platform:${SECRETS.platformSmtpPassword}@127.0.0.1:${platformSmtp.port}`,
        FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8',
        FIELDLINE_NOTIFY_MAX_ATTEMPTS: '2',
        FIELDLINE_NOTIFY_RETRY_BASE_MS: '50',
        FIELDLINE_LOG_LEVEL: 'trace',
      },
      { logger: createLogger('trace', sink) },
    );
    cleanups.push(t.close);
    const answers: ApiResponse[] = [];
    const api = async (path: string, init: Parameters<typeof t.api>[1] = {}) => {
      const r = await t.api(path, { token: t.adminToken, ...init });
      answers.push(r);
      return r;
    };

    const rotated = await t.api('/api/v1/notifications/settings/signing-secret/rotate', {
      method: 'POST',
      token: t.adminToken,
    });
    const signingSecret: string = rotated.body.signing_secret;
    await api('/api/v1/notifications/settings', {
      method: 'PUT',
      body: {
        smtp: {
          host: '127.0.0.1',
          port: orgSmtp.port,
          username: 'plant',
          password: SECRETS.orgSmtpPassword,
          from_address: 'alerts@plant.example',
        },
      },
    });
    const org = await orgIdOf(t);
    const results = await t.app.notifications.notifier.enqueueAlertNotifications(sampleAlert(org), [
      { type: 'email', recipients: ['ops@plant.example'] },
      { type: 'webhook', url: `${echo.url}/a`, auth: { type: 'bearer', token: SECRETS.bearer } },
      {
        type: 'webhook',
        url: `${echo.url}/b`,
        headers: { 'X-Site-Secret': SECRETS.header },
        auth: { type: 'api_key', key: SECRETS.apiKey },
      },
      { type: 'ntfy', server: echo.url, topic: 'alerts', token: SECRETS.ntfyToken },
    ]);
    const ids = results.map((r) => r.notification!.id);
    // Another organization mails through the platform SMTP server (with the password in FIELDLINE_SMTP_URL).
    const other = await createOrgWithMembers(t, 'Platform Mail');
    const viaPlatform = await t.api('/api/v1/notifications/test', {
      token: other.tokens.admin,
      body: { channel: 'email', target: { recipients: ['x@plant.example'] } },
    });
    answers.push(viaPlatform);
    expect(viaPlatform.body.ok).toBe(true);

    await waitFor(async () => {
      const list = await t.api('/api/v1/notifications', { token: t.adminToken });
      return list.body.items.every((n: { status: string }) => n.status === 'delivered' || n.status === 'dead');
    }, 'every notification settled');
    expect(orgSmtp.messages).toHaveLength(1);
    expect(platformSmtp.messages).toHaveLength(1);
    // The receivers did get the credentials (so there was something to leak).
    expect(echo.requests.some((r) => r.headers.authorization === `Bearer ${SECRETS.bearer}`)).toBe(true);
    expect(echo.requests.some((r) => r.headers['x-api-key'] === SECRETS.apiKey)).toBe(true);

    answers.push(
      await api('/api/v1/notifications/test', {
        body: { channel: 'webhook', target: { url: `${echo.url}/c`, auth: { type: 'bearer', token: SECRETS.bearer } } },
      }),
    );
    await api('/api/v1/notifications');
    for (const id of ids) await api(`/api/v1/notifications/${id}`);
    await api('/api/v1/notifications/settings');
    await api('/api/v1/audit');
    await api('/api/v1/mailbox');
    await api('/health');

    const dead = answers.find((a) => a.body?.id === ids[1])!.body;
    expect(dead).toMatchObject({ status: 'dead', target: { auth: { token: '***' } } });
    expect(dead.last_error).toContain('***');
    expect((await api('/api/v1/notifications/settings')).body).toMatchObject({
      smtp: { password: '***' },
      signing_secret: '***',
    });
    expect(logs).toContain('notification attempt failed');

    const rows = JSON.stringify([
      await t.app.storage.db.selectFrom('notification_outbox').selectAll().execute(),
      await t.app.storage.db.selectFrom('notification_settings').selectAll().execute(),
    ]);
    const everything = { logs, answers: answers.map((a) => a.text).join('\n'), rows };
    for (const [name, secret] of Object.entries({ ...SECRETS, signingSecret })) {
      for (const [where, text] of Object.entries(everything))
        expect(text.includes(secret), `${name} in ${where}`).toBe(false);
    }
  });
});
