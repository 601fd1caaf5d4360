import { expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, screenshot, useUi } from '../helpers/browser.js';

describeInBrowser('web UI: administration', () => {
  const ui = useUi();

  it('adds a member with a generated password shown once, and changes a role', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Administration');
    await page.getByLabel('Username').fill('shift-lead');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Add member' }).click();
    const password = page.getByLabel('Generated password');
    await password.waitFor();
    const generated = await password.inputValue();
    expect(
      (await ui.t.api('/api/v1/auth/login', { body: { username: 'shift-lead', password: generated } })).status,
    ).toBe(200);
    await page.getByRole('button', { name: 'I have saved it' }).click();

    await page.getByLabel('Role of shift-lead').selectOption('viewer');
    await expect
      .poll(async () => {
        const users = await ui.t.api('/api/v1/users', { token: ui.t.adminToken });
        return users.body.items.find((u: { username: string }) => u.username === 'shift-lead')?.role;
      })
      .toBe('viewer');
    await screenshot(page, '09-admin-members');
  });

  it('creates an API key shown once, revokes it, and lists both in the audit log', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/admin/api-keys');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('historian');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = await page.getByLabel('API key', { exact: true }).inputValue();
    expect(key).toMatch(/^fl/);
    expect((await ui.t.api('/api/v1/devices', { token: key })).status).toBe(200);
    await screenshot(page, '10-admin-api-keys');
    await page.getByRole('button', { name: 'I have saved it' }).click();

    await page.getByRole('button', { name: 'Revoke…' }).click();
    await page.getByRole('button', { name: 'Revoke historian' }).click();
    await page.getByRole('row').filter({ hasText: 'historian' }).getByText('revoked').waitFor();
    expect((await ui.t.api('/api/v1/devices', { token: key })).status).toBe(401);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'api_key.revoked' }).waitFor();
    await page.getByRole('cell', { name: 'api_key.created' }).waitFor();
    await page.getByLabel('Action').fill('api_key.created');
    await page.getByRole('cell', { name: 'api_key.revoked' }).waitFor({ state: 'detached' });
    await screenshot(page, '11-admin-audit');
  });
});
