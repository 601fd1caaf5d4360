import { expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, screenshot, useUi } from '../helpers/browser.js';

describeInBrowser('web UI: devices and live telemetry', () => {
  const ui = useUi();

  it('creates a device and shows its access token once, with a warning', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Devices');
    await page.getByRole('button', { name: 'Add device' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Boiler 1');
    await page.getByLabel('Id (optional)').fill('boiler-1');
    await page.getByLabel('Type (optional)').fill('boiler');
    await page.getByRole('button', { name: 'Create device' }).click();

    const token = page.getByLabel('Access token', { exact: true });
    await token.waitFor();
    await page.getByText('Shown once.').waitFor();
    const value = await token.inputValue();
    expect(value.length).toBeGreaterThanOrEqual(20);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Copied|copy it by hand/ })
      .waitFor();
    await screenshot(page, '03-device-created');

    // The token works: a ThingsBoard-style HTTP post with it in the path is accepted.
    const posted = await fetch(`${ui.t.url}/api/v1/${value}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ temperature: 20 }),
    });
    expect(posted.status).toBe(200);

    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByRole('link', { name: 'Boiler 1' }).waitFor();
    expect(await page.getByLabel('Access token', { exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(value);
  });

  it('shows a telemetry value and the chart growing live, without a reload', async () => {
    const created = await ui.t.api('/api/v1/devices', {
      token: ui.t.adminToken,
      body: { id: 'press-7', name: 'Press 7', device_type: 'press' },
    });
    expect(created.status).toBe(201);
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Devices');
    await page.getByRole('link', { name: 'Press 7' }).click();
    await page.getByRole('heading', { level: 1, name: /Press 7/ }).waitFor();
    await page.getByText('No telemetry yet.').waitFor();
    // Publish only once the page is subscribed, as a user would see it: "Live: …".
    await page.locator('[data-testid="telemetry-live"][data-state="subscribed"]').waitFor();

    const publish = async (data: Record<string, unknown>) => {
      const r = await ui.t.api('/api/v1/telemetry', { token: ui.t.adminToken, body: { device_id: 'press-7', data } });
      expect(r.status).toBe(200);
    };
    await publish({ pressure: 41.5, running: true });
    const latest = page.getByRole('table', { name: 'Latest values' });
    await latest.getByRole('row', { name: /pressure\s+41\.5/ }).waitFor();
    await page.locator('figure[data-key="pressure"][data-points="1"]').waitFor();

    await publish({ pressure: 43.25 });
    await latest.getByRole('row', { name: /pressure\s+43\.25/ }).waitFor();
    const chart = page.locator('figure[data-key="pressure"][data-points="2"]');
    await chart.waitFor();
    expect(await chart.locator('figcaption').textContent()).toContain('latest 43.25');
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    await page.locator('figure[data-key="running"][data-points="1"]').waitFor();
    await screenshot(page, '04-device-detail');

    // A reload shows the same from history.
    await page.reload();
    await page.locator('figure[data-key="pressure"][data-points="2"]').waitFor();
  });

  it('filters the device list by status and name', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Devices');
    await page.getByRole('link', { name: 'Press 7' }).waitFor();
    await page.getByLabel('Name or id').fill('boiler');
    await page.getByRole('link', { name: 'Boiler 1' }).waitFor();
    await page.getByRole('link', { name: 'Press 7' }).waitFor({ state: 'detached' });
    await page.getByLabel('Name or id').fill('');
    await page.getByLabel('Status').selectOption('offline');
    await page.getByText('No devices match.').waitFor();
    await page.getByLabel('Status').selectOption('online');
    await page.getByRole('link', { name: 'Press 7' }).waitFor();
    await screenshot(page, '02-devices');
  });

  it('sends a command and shows it in the history', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/devices/press-7');
    await page.getByRole('heading', { level: 1, name: /Press 7/ }).waitFor();
    await page.getByLabel('Command', { exact: true }).fill('reboot');
    await page.getByLabel('Params (JSON)').fill('{"delay_s": 5}');
    await page.getByRole('button', { name: 'Send command' }).click();
    await page.getByRole('table', { name: 'Recent commands' }).getByRole('cell', { name: 'reboot' }).waitFor();

    await page.getByLabel('Params (JSON)').fill('{oops');
    await page.getByRole('button', { name: 'Send command' }).click();
    await page.getByRole('alert').filter({ hasText: 'params is not valid JSON' }).waitFor();
  });

  it('deletes a device after a confirmation', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/devices/boiler-1');
    await page.getByRole('button', { name: 'Delete device' }).click();
    await page.getByRole('button', { name: 'Delete Boiler 1 for good' }).click();
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await page.getByRole('link', { name: 'Press 7' }).waitFor();
    expect(await page.getByRole('link', { name: 'Boiler 1' }).count()).toBe(0);
    expect((await ui.t.api('/api/v1/devices/boiler-1', { token: ui.t.adminToken })).status).toBe(404);
  });
});
