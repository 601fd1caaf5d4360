import { expect, it } from 'vitest';
import { ADMIN_PASSWORD, freePort } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, screenshot, useUi } from '../helpers/browser.js';

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
});
