import { expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, screenshot, useUi } from '../helpers/browser.js';

describeInBrowser('web UI: alerts', () => {
  const ui = useUi();

  const publish = async (data: Record<string, unknown>) => {
    const r = await ui.t.api('/api/v1/telemetry', { token: ui.t.adminToken, body: { device_id: 'kiln-1', data } });
    expect(r.status).toBe(200);
  };

  it('shows an alert the moment a rule fires, and acknowledging it changes its status', async () => {
    const { t } = ui;
    expect(
      (await t.api('/api/v1/devices', { token: t.adminToken, body: { id: 'kiln-1', name: 'Kiln 1' } })).status,
    ).toBe(201);
    const rule = await t.api('/api/v1/rules', {
      token: t.adminToken,
      body: {
        name: 'Kiln too hot',
        device_id: 'kiln-1',
        rule_type: 'threshold',
        conditions: { key: 'temperature', operator: '>', value: 900 },
        severity: 'critical',
        auto_resolve: false,
      },
    });
    expect(rule.status).toBe(201);

    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTestId('active-alerts').filter({ hasText: /^0$/ }).waitFor();
    await openFromNav(page, 'Alerts');
    await page.getByText('No alerts.').waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    await publish({ temperature: 950 });
    const row = page.getByRole('row').filter({ hasText: 'Kiln too hot' });
    await row.waitFor();
    expect(await row.textContent()).toContain('active');
    expect(await row.textContent()).toContain('critical');

    await row.getByRole('button', { name: 'Acknowledge…' }).click();
    await row.getByLabel('Notes').fill('Door opened, cooling down');
    await screenshot(page, '05-alerts');
    await row.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await row.getByRole('cell', { name: 'acknowledged', exact: true }).waitFor();
    await row.getByText('“Door opened, cooling down”').waitFor();
    expect(await row.getByRole('button', { name: 'Acknowledge…' }).count()).toBe(0);

    const stored = await t.api('/api/v1/alerts?device_id=kiln-1', { token: t.adminToken });
    expect(stored.body.items[0]).toMatchObject({ status: 'acknowledged', notes: 'Door opened, cooling down' });

    // Only active alerts: the acknowledged one leaves the list; resolving elsewhere is seen live.
    await page.getByLabel('Status').selectOption('active');
    await page.getByText('No alerts.').waitFor();
    await page.getByLabel('Status').selectOption('open');
    await row.waitFor();
    const id: string = stored.body.items[0].id;
    expect((await t.api(`/api/v1/alerts/${id}/resolve`, { token: t.adminToken, body: {} })).status).toBe(200);
    await row.waitFor({ state: 'detached' });
  });

  it('counts active alerts on the overview live', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTestId('active-alerts').filter({ hasText: /^0$/ }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // A resolved alert with auto_resolve off: the rule fires again at the next point over the threshold.
    await publish({ temperature: 990 });
    await page.getByTestId('active-alerts').filter({ hasText: /^1$/ }).waitFor();
    await page
      .getByRole('table', { name: 'Latest alerts' })
      .getByRole('row')
      .filter({ hasText: 'Kiln too hot' })
      .first()
      .waitFor();
    await page.getByTestId('devices-online').filter({ hasText: /^1$/ }).waitFor();
    await screenshot(page, '00-overview');
  });
});
