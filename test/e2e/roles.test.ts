import { expect, it } from 'vitest';
import { createOrgWithMembers } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, useUi } from '../helpers/browser.js';

describeInBrowser('web UI: what each role is offered', () => {
  const ui = useUi();
  let slug = '';

  it('a viewer reads everything but gets no create, acknowledge, toggle or generate controls', async () => {
    const { t } = ui;
    const org = await createOrgWithMembers(t, 'Plant West');
    slug = (await t.api('/api/v1/me', { token: org.tokens.owner })).body.organization.slug;
    const owner = org.tokens.owner;
    await t.api('/api/v1/devices', { token: owner, body: { id: 'west-pump', name: 'West pump' } });
    await t.api('/api/v1/rules', {
      token: owner,
      body: {
        name: 'Pump pressure high',
        device_id: 'west-pump',
        rule_type: 'threshold',
        conditions: { key: 'pressure', operator: '>', value: 8 },
      },
    });
    expect(
      (await t.api('/api/v1/telemetry', { token: owner, body: { device_id: 'west-pump', data: { pressure: 9 } } }))
        .status,
    ).toBe(200);
    // The alert is raised off the ingest path: wait for it before looking.
    await expect
      .poll(async () => (await t.api('/api/v1/alerts?status=active', { token: owner })).body.items.length)
      .toBe(1);

    const page = await ui.page();
    await logIn(page, `${slug}-viewer`, `${slug}-viewer-password`);
    await page.getByText(/· viewer · Plant West/).waitFor();
    expect(await page.getByRole('link', { name: 'Administration' }).count()).toBe(0);

    await openFromNav(page, 'Alerts');
    await page.getByRole('row').filter({ hasText: 'Pump pressure high' }).waitFor();
    expect(await page.getByRole('button', { name: /Acknowledge|Resolve/ }).count()).toBe(0);

    await openFromNav(page, 'Devices');
    await page.getByRole('link', { name: 'West pump' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add device' }).count()).toBe(0);
    await page.getByRole('link', { name: 'West pump' }).click();
    await page.getByRole('heading', { level: 1, name: /West pump/ }).waitFor();
    await page.getByRole('row', { name: /pressure\s+9/ }).waitFor();
    expect(await page.getByRole('button', { name: /Send command|Delete device/ }).count()).toBe(0);

    await openFromNav(page, 'Rules');
    await page.getByRole('link', { name: 'Pump pressure high' }).waitFor();
    expect(await page.getByRole('link', { name: 'New rule' }).count()).toBe(0);
    expect(await page.getByRole('switch').count()).toBe(0);

    await openFromNav(page, 'Integrations');
    expect(await page.getByRole('link', { name: 'New MQTT integration' }).count()).toBe(0);

    await openFromNav(page, 'Stack builder');
    await page.getByRole('checkbox', { name: 'Eclipse Mosquitto', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: /Generate|Download/ }).count()).toBe(0);

    // A deep link to an admin page says so instead of failing on every call.
    await page.goto('/admin');
    await page.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
  });

  it('an operator acknowledges alerts and toggles rules, but does not create devices or rules', async () => {
    const page = await ui.page();
    await logIn(page, `${slug}-operator`, `${slug}-operator-password`);
    await openFromNav(page, 'Alerts');
    await page
      .getByRole('row')
      .filter({ hasText: 'Pump pressure high' })
      .getByRole('button', { name: 'Acknowledge…' })
      .waitFor();
    await openFromNav(page, 'Rules');
    const toggle = page.getByRole('switch', { name: 'Pump pressure high enabled' });
    await toggle.waitFor();
    expect(await page.getByRole('link', { name: 'New rule' }).count()).toBe(0);
    await toggle.click();
    await page.getByRole('row').filter({ hasText: 'Pump pressure high' }).getByText('off').waitFor();
    await openFromNav(page, 'Devices');
    await page.getByRole('link', { name: 'West pump' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add device' }).count()).toBe(0);
  });
});
