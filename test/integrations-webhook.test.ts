import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPayload } from '../src/notify/index.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { expectStatus, statusUntil, TestBroker } from './helpers/integrations.js';
import { startReceiver, waitFor } from './helpers/notify.js';

const TOKEN = 'receiver-bearer-token-123';
const HEADER_SECRET = 'tenant-header-secret-456';

describe('webhook integrations, delivered through the notifications outbox', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const broker = new TestBroker({ plant: 'pw-forward' });
  let hookId: string;

  beforeAll(async () => {
    await broker.start();
    receiver = await startReceiver();
    t = await startTestApp({ FIELDLINE_WEBHOOK_ALLOW: '127.0.0.0/8', FIELDLINE_NOTIFY_RETRY_BASE_MS: '50' });
    const created = expectStatus(
      await t.api('/api/v1/integrations', {
        token: t.adminToken,
        body: {
          type: 'webhook',
          name: 'Plant historian',
          config: {
            url: `${receiver.url}/hook`,
            method: 'PUT',
            headers: { 'X-Tenant': HEADER_SECRET },
            auth: { type: 'bearer', token: TOKEN },
          },
        },
      }),
      201,
    );
    hookId = created.body.id;
    expect(created.body.config).toEqual({
      url: `${receiver.url}/hook`,
      method: 'PUT',
      headers: { 'X-Tenant': '***' },
      auth: { type: 'bearer', token: '***' },
    });
    expect(created.body.health).toEqual({ state: 'idle', summary: 'No deliveries yet' });
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await broker.stop();
  });

  it('is a notification target by integration_id: auth and headers from the integration, health follows', async () => {
    const rows = JSON.stringify(await t.app.storage.db.selectFrom('integrations').selectAll().execute());
    expect(rows).not.toContain(TOKEN);
    expect(rows).not.toContain(HEADER_SECRET);
    const sent = await t.api('/api/v1/notifications', {
      token: t.adminToken,
      body: { channel: 'webhook', target: { integration_id: hookId }, subject: 'Hello', message: 'from a rule' },
    });
    expect(sent.status).toBe(202);
    const req = await waitFor(() => receiver.requests.find((r) => r.body.includes('from a rule')), 'delivery');
    expect(req.method).toBe('PUT');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['x-tenant']).toBe(HEADER_SECRET);
    await waitFor(async () => {
      const r = await t.api(`/api/v1/integrations/${hookId}`, { token: t.adminToken });
      return r.body.sync_status === 'delivered' && r.body.health.state === 'ok';
    }, 'the integration shows the delivery');
    const test = await t.api(`/api/v1/integrations/${hookId}/test`, { token: t.adminToken, body: {} });
    expect(test.body).toMatchObject({ status: 'success', status_code: 200 });
  });

  it('forwards MQTT messages as signed JSON documents, and cannot be deleted while forwarded to', async () => {
    const mq = expectStatus(
      await t.api('/api/v1/integrations', {
        token: t.adminToken,
        body: {
          type: 'mqtt',
          name: 'forwarding broker',
          config: { broker: { url: `${broker.url}`, username: 'plant', password: 'pw-forward' }, topics: { qos: 1 } },
        },
      }),
      201,
    );
    expectStatus(
      await t.api(`/api/v1/integrations/${mq.body.id}/subscriptions`, {
        token: t.adminToken,
        body: { name: 'events', topic: 'events/{site}/#', actions: [{ type: 'forward', integration_id: hookId }] },
      }),
      201,
    );
    await statusUntil(
      t,
      t.adminToken,
      mq.body.id,
      (s) => s.connected === true && s.subscribed_topics_count === 1,
      'subscribed',
    );
    const rotated = await t.api('/api/v1/notifications/settings/signing-secret/rotate', {
      method: 'POST',
      token: t.adminToken,
    });
    const signingSecret: string = rotated.body.signing_secret;
    const pub = await mqtt.connectAsync(broker.url, { username: 'plant', password: 'pw-forward' });
    await pub.publishAsync('events/north/door', JSON.stringify({ open: true }), { qos: 1 });
    await pub.endAsync();
    const req = await waitFor(
      () => receiver.requests.find((r) => r.headers['x-fieldline-event'] === 'mqtt.message'),
      'forward',
    );
    const doc = JSON.parse(req.body);
    expect(doc).toMatchObject({
      event: 'mqtt.message',
      integration_id: mq.body.id,
      topic: 'events/north/door',
      values: { site: 'north' },
      payload: { open: true },
      payload_encoding: 'json',
    });
    expect(
      verifyPayload(
        signingSecret,
        String(req.headers['x-fieldline-timestamp']),
        req.body,
        String(req.headers['x-fieldline-signature']),
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);

    const del = await t.api(`/api/v1/integrations/${hookId}`, { method: 'DELETE', token: t.adminToken });
    expect(del.status).toBe(409);
    expect(del.body.detail).toMatch(/'events' forward/);
    expectStatus(await t.api(`/api/v1/integrations/${mq.body.id}`, { method: 'DELETE', token: t.adminToken }), 204);
  });

  it('delivers nothing for an inactive webhook integration, and says why', async () => {
    expectStatus(
      await t.api(`/api/v1/integrations/${hookId}`, {
        method: 'PATCH',
        token: t.adminToken,
        body: { status: 'inactive' },
      }),
      200,
    );
    const before = receiver.requests.length;
    const sent = await t.api('/api/v1/notifications', {
      token: t.adminToken,
      body: { channel: 'webhook', target: { integration_id: hookId }, subject: 'x', message: 'to nobody' },
    });
    const dead = await waitFor(async () => {
      const n = await t.api(`/api/v1/notifications/${sent.body.id}`, { token: t.adminToken });
      return n.body.status === 'dead' ? n.body : null;
    }, 'the notification gives up');
    expect(JSON.stringify(dead)).toMatch(/not found/);
    expect(receiver.requests.length).toBe(before);
  });
});
