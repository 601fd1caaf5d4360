import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Resolver } from '../src/notify/index.js';
import type { TestApp } from './helpers/app.js';
import { createOrgWithMembers } from './helpers/app.js';
import {
  orgIdOf,
  type ReceivedRequest,
  sampleAlert,
  startNotifyApp,
  startReceiver,
  waitFor,
} from './helpers/notify.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function app(env: Record<string, string> = {}, resolver?: Resolver): Promise<TestApp> {
  const t = await startNotifyApp(env, resolver ? { resolver } : {});
  cleanups.push(t.close);
  return t;
}

async function receiver(host?: string, port?: number) {
  const r = await startReceiver(host, port);
  cleanups.push(r.close);
  return r;
}

const table =
  (entries: Record<string, string[]>): Resolver =>
  async (host) =>
    (entries[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

/** A receiver's own check, written from the docs and not from Fieldline's code. */
function verify(secret: string, req: ReceivedRequest): boolean {
  const timestamp = String(req.headers['x-fieldline-timestamp']);
  const signature = String(req.headers['x-fieldline-signature']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${req.body}`, 'utf8').digest('hex')}`;
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
  return (
    fresh && expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
  );
}

const testSend = (t: TestApp, channel: string, target: unknown) =>
  t.api('/api/v1/notifications/test', { token: t.adminToken, body: { channel, target } });

describe('webhook notifications', () => {
  it('delivers a signed webhook that an independent verifier accepts', async () => {
    const hook = await receiver();
    const t = await app({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8' });
    const rotated = await t.api('/api/v1/notifications/settings/signing-secret/rotate', {
      method: 'POST',
      token: t.adminToken,
    });
    expect(rotated.status).toBe(200);
    const secret: string = rotated.body.signing_secret;
    expect(secret).toMatch(/^whsec_/);

    const org = await orgIdOf(t);
    const alert = sampleAlert(org);
    const [r] = await t.app.notifications.notifier.enqueueAlertNotifications(alert, [
      {
        type: 'webhook',
        url: `${hook.url}/hooks/fieldline?site=north`,
        method: 'PUT',
        headers: { 'X-Plant': 'north' },
        auth: { type: 'bearer', token: 'tok-live-123' },
      },
    ]);
    const id = r!.notification!.id;
    const req = await waitFor(() => hook.requests[0], 'the webhook');
    expect(verify(secret, req)).toBe(true);
    expect(verify('whsec_wrong', req)).toBe(false);
    expect(req.method).toBe('PUT');
    expect(req.url).toBe('/hooks/fieldline?site=north');
    expect(req.headers).toMatchObject({
      'content-type': 'application/json',
      'x-fieldline-event': 'alert.raised',
      'x-fieldline-delivery': id,
      authorization: 'Bearer tok-live-123',
      'x-plant': 'north',
    });
    expect(String(req.headers['user-agent'])).toMatch(/^Fieldline\//);
    expect(JSON.parse(req.body)).toMatchObject({
      event: 'alert.raised',
      delivery_id: id,
      organization_id: org,
      device_id: 'device-001',
      device_name: 'Sensor-01',
      rule_name: 'High Temperature Alert',
      severity: 'critical',
      alert: { id: alert.id, value: 28.5, threshold: 25, status: 'active' },
    });

    const shown = await waitFor(async () => {
      const n = (await t.api(`/api/v1/notifications/${id}`, { token: t.adminToken })).body;
      return n.status === 'delivered' ? n : null;
    }, 'delivered');
    expect(shown.target).toEqual({
      url: `${hook.url}/hooks/fieldline?site=north`,
      method: 'PUT',
      headers: { 'X-Plant': '***' },
      auth: { type: 'bearer', token: '***' },
    });

    // After another rotation the old secret no longer verifies, the new one does.
    const next = await t.api('/api/v1/notifications/settings/signing-secret/rotate', {
      method: 'POST',
      token: t.adminToken,
    });
    const test = await testSend(t, 'webhook', { url: `${hook.url}/again` });
    expect(test.body).toMatchObject({ ok: true, status_code: 200, channel: 'webhook' });
    const second = hook.requests[1]!;
    expect(second.headers['x-fieldline-event']).toBe('notification.test');
    expect(verify(next.body.signing_secret, second)).toBe(true);
    expect(verify(secret, second)).toBe(false);
  });

  it('renders a JSON payload template and sends API-key auth', async () => {
    const hook = await receiver();
    const t = await app({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8' });
    const alert = sampleAlert(await orgIdOf(t), { message: 'Pressure "high"' });
    await t.app.notifications.notifier.enqueueAlertNotifications(alert, [
      {
        type: 'webhook',
        url: hook.url,
        auth: { type: 'api_key', header: 'X-Api-Key', key: 'key-987' },
        payload_template: {
          text: '[{{severity}}] {{device_name}}: {{message}}',
          value: '{{alert.value}}',
          fields: [{ title: 'Rule', value: '{{rule_name}}' }],
        },
      },
    ]);
    const req = await waitFor(() => hook.requests[0], 'the webhook');
    expect(req.headers['x-api-key']).toBe('key-987');
    expect(JSON.parse(req.body)).toEqual({
      text: '[critical] Sensor-01: Pressure "high"',
      value: 28.5,
      fields: [{ title: 'Rule', value: 'High Temperature Alert' }],
    });
  });

  it('refuses the whole SSRF matrix with the default configuration, each with a clear reason', async () => {
    const hook = await receiver();
    const t = await app();
    const port = hook.port;
    const matrix: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/`, /loopback/],
      [`http://localhost:${port}/`, /loopback/],
      ['http://10.0.0.1/', /private network \(RFC 1918\)/],
      ['http://172.16.5.4/', /RFC 1918/],
      ['http://192.168.0.10/', /RFC 1918/],
      ['http://169.254.169.254/latest/meta-data/', /link-local.*metadata/],
      ['http://100.64.1.1/', /carrier-grade NAT/],
      ['http://224.0.0.251/', /multicast/],
      ['http://0.0.0.0/', /unspecified/],
      [`http://[::1]:${port}/`, /IPv6 loopback/],
      ['http://[fd12:3456::1]/', /unique local/],
      ['http://[fe80::1]/', /IPv6 link-local/],
      [`http://[::ffff:127.0.0.1]:${port}/`, /IPv4-mapped/],
      [`http://2130706433:${port}/`, /loopback/],
      [`http://0x7f.1:${port}/`, /loopback/],
      [`http://017700000001:${port}/`, /loopback/],
      ['ftp://files.example.com/x', /scheme ftp is not allowed/],
      ['file:///etc/passwd', /scheme file is not allowed/],
    ];
    for (const [url, reason] of matrix) {
      const res = await testSend(t, 'webhook', { url });
      if (res.status === 422) {
        expect(res.body.code, url).toBe('FIELDLINE_ERR_UNPROCESSABLE');
        expect(res.body.detail, url).toMatch(/refused/);
        expect(res.body.errors[0].message, url).toMatch(reason);
      } else {
        // Host names are refused when they resolve, at connection time.
        expect(res.status, url).toBe(200);
        expect(res.body.ok, url).toBe(false);
        expect(res.body.error, url).toMatch(reason);
      }
    }
    const ntfy = await testSend(t, 'ntfy', { server: 'http://192.168.1.1', topic: 'x' });
    expect(ntfy.status).toBe(422);
    expect(hook.requests).toHaveLength(0);

    // From a rule action, the refusal is recorded on the notification, which is dead at once.
    const [r] = await t.app.notifications.notifier.enqueueAlertNotifications(sampleAlert(await orgIdOf(t)), [
      { type: 'webhook', url: `http://0x7f.1:${port}/` },
    ]);
    const dead = await waitFor(async () => {
      const n = (await t.api(`/api/v1/notifications/${r!.notification!.id}`, { token: t.adminToken })).body;
      return n.status === 'dead' ? n : null;
    }, 'dead');
    expect(dead).toMatchObject({
      attempts: 1,
      last_error: expect.stringMatching(/refused .*127\.0\.0\.1 is a loopback/),
    });
    expect(hook.requests).toHaveLength(0);
  });

  it('refuses a host name that resolves to a private address (injected resolver)', async () => {
    const t = await app(
      {},
      table({
        'hooks.plant.example': ['10.1.2.3'],
        'metadata.example': ['169.254.169.254'],
        'mixed.example': ['93.184.216.34', '127.0.0.1'],
        'v6.example': ['fd00::7'],
      }),
    );
    const cases: [string, RegExp][] = [
      ['http://hooks.plant.example/alerts', /resolves to 10\.1\.2\.3, a private network/],
      ['http://metadata.example/latest/meta-data/', /resolves to 169\.254\.169\.254, a link-local/],
      ['https://mixed.example/', /resolves to 127\.0\.0\.1, a loopback/],
      ['http://v6.example/', /resolves to fd00::7, a IPv6 unique local/],
      ['http://nowhere.example/', /no address/],
    ];
    for (const [url, reason] of cases) {
      const res = await testSend(t, 'webhook', { url });
      expect(res.body.ok, url).toBe(false);
      expect(res.body.error, url).toMatch(reason);
    }
  });

  it('re-checks every redirect: a hop to loopback or metadata is refused, at most 3 hops are followed', async () => {
    const inside = await receiver('127.0.0.1');
    const outside = await receiver('127.0.0.2');
    const other = await receiver('127.0.0.2');
    const t = await app({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.2/32' });
    outside.respond((req) => {
      if (req.url === '/to-loopback') return { status: 302, headers: { location: `${inside.url}/steal` } };
      if (req.url === '/to-metadata') return { status: 307, headers: { location: 'http://169.254.169.254/latest/' } };
      if (req.url === '/to-other') return { status: 307, headers: { location: `${other.url}/final` } };
      const loop = /^\/loop(\d+)$/.exec(req.url);
      if (loop) return { status: 302, headers: { location: `/loop${Number(loop[1]) + 1}` } };
      return { status: 200 };
    });

    const loopback = await testSend(t, 'webhook', { url: `${outside.url}/to-loopback` });
    expect(loopback.body.ok).toBe(false);
    expect(loopback.body.error).toMatch(/redirect 1: 127\.0\.0\.1 is a loopback address/);
    const metadata = await testSend(t, 'webhook', { url: `${outside.url}/to-metadata` });
    expect(metadata.body.error).toMatch(/redirect 1: 169\.254\.169\.254 is a link-local/);
    expect(inside.requests).toHaveLength(0);

    const loop = await testSend(t, 'webhook', { url: `${outside.url}/loop0` });
    expect(loop.body.error).toMatch(/gave up after 3 redirects/);
    expect(outside.requests.filter((r) => r.url.startsWith('/loop')).map((r) => r.url)).toEqual([
      '/loop0',
      '/loop1',
      '/loop2',
      '/loop3',
    ]);

    // A permitted redirect is followed with the body, but credentials stay with their origin.
    const followed = await testSend(t, 'webhook', {
      url: `${outside.url}/to-other`,
      auth: { type: 'bearer', token: 'tok-origin-only' },
    });
    expect(followed.body).toMatchObject({ ok: true, detail: 'HTTP 200 after 1 redirect(s)' });
    const final = other.requests[0]!;
    expect(final.method).toBe('POST');
    expect(JSON.parse(final.body).event).toBe('notification.test');
    expect(final.headers.authorization).toBeUndefined();
    expect(outside.requests.find((r) => r.url === '/to-other')?.headers.authorization).toBe('Bearer tok-origin-only');
  });

  it('connects to the address it checked, even when DNS answers differently a moment later', async () => {
    const loopback = await receiver('127.0.0.1');
    const allowed = await receiver('127.0.0.2', loopback.port);
    let calls = 0;
    const rebinding: Resolver = async () => [{ address: calls++ === 0 ? '127.0.0.2' : '127.0.0.1', family: 4 }];
    const t = await app({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.2/32' }, rebinding);
    const res = await testSend(t, 'webhook', { url: `http://rebind.example:${loopback.port}/hook` });
    expect(res.body.ok).toBe(true);
    expect(allowed.requests.map((r) => r.url)).toEqual(['/hook']);
    expect(loopback.requests).toHaveLength(0);
    expect(calls).toBe(1);
  });

  it('dead-letters after the attempt limit, and a retry re-queues it', async () => {
    const hook = await receiver();
    hook.respond(() => ({ status: 503, body: 'maintenance' }));
    const t = await app({
      FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8',
      FIELDLINE_NOTIFY_MAX_ATTEMPTS: '3',
      FIELDLINE_NOTIFY_RETRY_BASE_MS: '50',
    });
    const sent = await t.api('/api/v1/notifications', {
      token: t.adminToken,
      body: { channel: 'webhook', target: { url: hook.url }, subject: 'Line 2 stopped', message: 'E-stop pressed' },
    });
    expect(sent.status).toBe(202);
    const id: string = sent.body.id;
    const dead = await waitFor(async () => {
      const n = (await t.api(`/api/v1/notifications/${id}`, { token: t.adminToken })).body;
      return n.status === 'dead' ? n : null;
    }, 'dead');
    expect(dead).toMatchObject({
      attempts: 3,
      max_attempts: 3,
      last_error: 'HTTP 503: maintenance',
      next_attempt_at: null,
    });
    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((r) => r.headers['x-fieldline-delivery']))).toEqual(new Set([id]));
    const listed = await t.api('/api/v1/notifications?status=dead&channel=webhook', { token: t.adminToken });
    expect(listed.body.items.map((n: { id: string }) => n.id)).toEqual([id]);

    const other = await createOrgWithMembers(t, 'Elsewhere');
    expect(
      (await t.api(`/api/v1/notifications/${id}/retry`, { method: 'POST', token: other.tokens.owner })).status,
    ).toBe(404);
    const viewer = await createOrgWithMembers(t, 'Viewers');
    expect(
      (await t.api(`/api/v1/notifications/${id}/retry`, { method: 'POST', token: viewer.tokens.viewer })).status,
    ).toBe(403);

    hook.respond(() => ({ status: 204 }));
    const retried = await t.api(`/api/v1/notifications/${id}/retry`, { method: 'POST', token: t.adminToken });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'pending', attempts: 0 });
    await waitFor(
      async () => (await t.api(`/api/v1/notifications/${id}`, { token: t.adminToken })).body.status === 'delivered',
      'delivered',
    );
    expect(hook.requests).toHaveLength(4);
    const again = await t.api(`/api/v1/notifications/${id}/retry`, { method: 'POST', token: t.adminToken });
    expect(again.status).toBe(409);
    expect((await t.api('/api/v1/notifications/nope/retry', { method: 'POST', token: t.adminToken })).status).toBe(404);
  });

  it('rate-limits sends per URL', async () => {
    const hook = await receiver();
    const t = await app({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8', FIELDLINE_WEBHOOK_RATE_LIMIT: '1' });
    expect((await testSend(t, 'webhook', { url: `${hook.url}/a` })).body.ok).toBe(true);
    const limited = await testSend(t, 'webhook', { url: `${hook.url}/a` });
    expect(limited.body).toMatchObject({ ok: false, error: expect.stringMatching(/rate limited/) });
    expect((await testSend(t, 'webhook', { url: `${hook.url}/b` })).body.ok).toBe(true);
    expect(hook.requests.map((r) => r.url)).toEqual(['/a', '/b']);
  });

  it('pushes to an ntfy topic with the priority of the severity and the access token', async () => {
    const ntfy = await receiver();
    const t = await app({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8' });
    const org = await orgIdOf(t);
    await t.app.notifications.notifier.enqueueAlertNotifications(sampleAlert(org), [
      { type: 'ntfy', server: ntfy.url, topic: 'plant-alerts', token: 'tk_ntfy_secret' },
    ]);
    await t.app.notifications.notifier.enqueueAlertNotifications(sampleAlert(org, { severity: 'info' }), [
      { type: 'ntfy', server: ntfy.url, topic: 'plant-alerts' },
    ]);
    await waitFor(() => ntfy.requests.length === 2, 'two pushes');
    const [critical, info] = ntfy.requests.map((r) => ({ ...r, json: JSON.parse(r.body) }));
    expect(critical!.url).toBe('/');
    expect(critical!.headers.authorization).toBe('Bearer tk_ntfy_secret');
    expect(critical!.json).toMatchObject({
      topic: 'plant-alerts',
      priority: 5,
      tags: ['rotating_light'],
      title: 'CRITICAL: High Temperature Alert — Sensor-01',
      message: 'Temperature exceeded threshold: 28.5 > 25',
    });
    expect(info!.json.priority).toBe(3);
    expect(info!.headers.authorization).toBeUndefined();
  });
});
