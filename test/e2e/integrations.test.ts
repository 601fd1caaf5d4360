import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { ADMIN_PASSWORD, freePort } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, screenshot, useUi } from '../helpers/browser.js';
import { expectStatus, statusUntil, TestBroker } from '../helpers/integrations.js';

/**
 * What the server pushed to the page over Socket.IO (WebSocket frames and long-polling answers alike), so a
 * test can wait until the page has an event in hand.
 */
function watchPushes(page: Page) {
  const waiters: { match: (text: string) => boolean; resolve: () => void }[] = [];
  const received = (text: string) => {
    for (const w of waiters.filter((w) => w.match(text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  page.on('websocket', (ws) => ws.on('framereceived', (f) => received(String(f.payload))));
  page.on('response', (r) => {
    if (r.url().includes('/socket.io/')) r.text().then(received, () => {});
  });
  return {
    until: (match: (text: string) => boolean) => new Promise<void>((resolve) => waiters.push({ match, resolve })),
  };
}

describeInBrowser('web UI: integrations', () => {
  const ui = useUi({ mqtt: true });

  it('tests MQTT settings before saving and says why a broker cannot be reached', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Integrations');
    await page.getByRole('link', { name: 'New MQTT integration' }).click();
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(await freePort()));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Connection failed.').waitFor();
  });

  it('connects to a broker, shows its health live and manages its subscriptions', async () => {
    const { t } = ui;
    // The embedded broker takes an API key of the organization as MQTT password.
    const key = await t.api('/api/v1/api-keys', { token: t.adminToken, body: { name: 'bridge', role: 'operator' } });
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/integrations/new');
    await page.getByLabel('Name', { exact: true }).fill('Site broker');
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(t.app.broker?.port));
    await page.getByLabel('Username').fill('bridge');
    await page.getByLabel('Password').fill(key.body.key);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Connection works.').waitFor();
    await page.getByRole('button', { name: 'Create integration' }).click();
    await page.getByRole('heading', { level: 1, name: /Site broker/ }).waitFor();
    await page
      .getByTestId('integration-health')
      .filter({ hasText: /^Connected to mqtt:\/\/127\.0\.0\.1/ })
      .waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Plant data');
    await page.getByLabel('Topic').fill('fieldline/devices/{device_id}/telemetry');
    await page.getByRole('button', { name: 'Add subscription' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Plant data' });
    await row.waitFor();
    await page.getByTestId('integration-health').filter({ hasText: '1 topic(s)' }).waitFor();
    const toggle = row.getByRole('switch', { name: 'Plant data enabled' });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click();
    await row.getByText('off').waitFor();
    await page.getByTestId('integration-health').filter({ hasText: '0 topic(s)' }).waitFor();
    await screenshot(page, '07-integration');

    await openFromNav(page, 'Integrations');
    const listed = page.getByRole('row').filter({ hasText: 'Site broker' });
    await listed.getByText('ok', { exact: true }).waitFor();
    expect(await listed.getByRole('cell', { name: 'yes' }).count()).toBe(1);
    await screenshot(page, '07-integrations');
  });

  it('shows a connection made while the page loads or switches it on, not the older answer', async () => {
    const { t } = ui;
    // A broker that is down when the integration is created, and comes up while the page's load is held.
    const broker = new TestBroker();
    await broker.start();
    await broker.stop();
    const created = expectStatus(
      await t.api('/api/v1/integrations', {
        token: t.adminToken,
        body: {
          type: 'mqtt',
          name: 'Late broker',
          config: {
            broker: {
              host: '127.0.0.1',
              port: broker.port,
              username: 'plant',
              password: 'plant-secret-pw',
              reconnect_min_ms: 200,
              reconnect_max_ms: 1000,
            },
            topics: {},
          },
        },
      }),
      201,
    );
    const id = created.body.id as string;
    try {
      await statusUntil(t, t.adminToken, id, (s) => s.connection_error !== null, 'the first attempt to fail');
      const page = await ui.page();
      const pushes = watchPushes(page);
      await logIn(page, 'admin', ADMIN_PASSWORD);
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

      // The detail page's load is answered by the server while the broker is down, and that answer reaches
      // the page only after the page has been pushed the connection's success. Later, the answer to switching
      // the integration on is held the same way.
      const connectedPush = () =>
        pushes.until(
          (text) =>
            text.includes('"integration_status"') && text.includes(`"${id}"`) && text.includes('"connected":true'),
        );
      let held = false;
      await page.route(new RegExp(`/api/v1/integrations/${id}$`), async (route) => {
        const request = route.request();
        if (request.method() === 'GET' && !held) {
          held = true;
          const connected = connectedPush();
          const before = await route.fetch();
          await broker.start();
          await connected;
          return route.fulfill({ response: before });
        }
        if (request.method() === 'PATCH' && request.postData()?.includes('"active"')) {
          const connected = connectedPush();
          const answer = await route.fetch();
          await connected;
          return route.fulfill({ response: answer });
        }
        return route.continue();
      });
      await openFromNav(page, 'Integrations');
      await page.getByRole('link', { name: 'Late broker' }).click();
      await page
        .getByTestId('integration-health')
        .filter({ hasText: /^Connected to mqtt:\/\/127\.0\.0\.1/ })
        .waitFor();
      expect(held).toBe(true);

      // Switching on: the answer comes after the pushed connection, and the connection shows.
      await page.getByRole('button', { name: 'Switch off' }).click();
      await page.getByTestId('integration-health').filter({ hasText: 'Inactive' }).waitFor();
      await page.getByRole('button', { name: 'Switch on' }).click();
      await page
        .getByTestId('integration-health')
        .filter({ hasText: /^Connected to mqtt:\/\/127\.0\.0\.1/ })
        .waitFor();
    } finally {
      await broker.stop();
    }
  });
});
