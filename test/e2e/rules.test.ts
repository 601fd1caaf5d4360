import { expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, screenshot, useUi } from '../helpers/browser.js';

describeInBrowser('web UI: rules', () => {
  const ui = useUi();

  it('creates a threshold rule with the form, showing the server’s field errors first', async () => {
    await ui.t.api('/api/v1/devices', { token: ui.t.adminToken, body: { id: 'tank-3', name: 'Tank 3' } });
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Rules');
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { level: 1, name: 'New rule' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Tank level low');
    await page.getByLabel('Applies to').selectOption('device');
    await page.getByLabel('Device id').fill('tank-3');
    await page.getByLabel('Operator').selectOption('<');
    await page.getByLabel('Value').fill('10');
    // No key: the server names the field, and the form shows it beside the input.
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('alert').filter({ hasText: 'conditions.key' }).waitFor();
    expect(await page.getByLabel('Key').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Key').fill('level');
    await page.getByLabel('Message (optional)').fill('{{device.name}}: level {{value}} below {{threshold}}');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tank level low' }).waitFor();
    expect(page.url()).toMatch(/\/rules\/[0-9a-f-]+$/);
    const rules = await ui.t.api('/api/v1/rules', { token: ui.t.adminToken });
    expect(rules.body.items[0]).toMatchObject({
      name: 'Tank level low',
      device_id: 'tank-3',
      rule_type: 'threshold',
      conditions: { key: 'level', operator: '<', value: 10 },
    });

    // Test: evaluates the saved rule on a sample and explains it.
    await page.getByLabel('Sample (JSON, optional)').fill('{"level": 4}');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const result = page.locator('.test-result');
    await result.getByText('Would fire').waitFor();
    expect(await result.textContent()).toContain('level < 10');
    await screenshot(page, '06-rule-edit');
  });

  it('edits a rule, switches it off from the list, and keeps compound conditions as JSON', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Rules');
    await page.getByRole('link', { name: 'Tank level low' }).click();
    await page.getByLabel('Value').fill('15');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await page.getByLabel('Rule type').selectOption('compound');
    await page
      .getByLabel('Conditions (JSON)')
      .fill(
        '{"any": [{"key": "level", "operator": "<", "value": 15}, {"key": "level", "operator": ">", "value": 95}]}',
      );
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const rule = (await ui.t.api('/api/v1/rules', { token: ui.t.adminToken })).body.items[0];
    expect(rule.rule_type).toBe('compound');
    expect(rule.conditions.any).toHaveLength(2);

    await openFromNav(page, 'Rules');
    const toggle = page.getByRole('switch', { name: 'Tank level low enabled' });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click();
    await page.getByRole('row').filter({ hasText: 'Tank level low' }).getByText('off').waitFor();
    expect((await ui.t.api(`/api/v1/rules/${rule.id}`, { token: ui.t.adminToken })).body.enabled).toBe(false);
    await screenshot(page, '06-rules');
  });
});
