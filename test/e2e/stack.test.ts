import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../helpers/app.js';
import { describeInBrowser, logIn, openFromNav, screenshot, useUi } from '../helpers/browser.js';

describeInBrowser('web UI: stack builder', () => {
  const ui = useUi();

  it('picks services from a template, generates the bundle and downloads it as a zip', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Stack builder');
    await page.getByLabel('Start from a template').selectOption('fieldline-minimal');
    for (const name of ['Eclipse Mosquitto', 'Redis', 'Fieldline'])
      expect(await page.getByRole('checkbox', { name, exact: true }).isChecked()).toBe(true);
    await page.getByRole('checkbox', { name: 'Grafana', exact: true }).check();
    await page.getByLabel('Project name (optional)').fill('plant-7');

    await page.getByRole('button', { name: 'Check integrations' }).click();
    await page.getByRole('heading', { name: 'Integrations found' }).waitFor();

    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByRole('heading', { name: /Generated bundle \(\d+ files\)/ }).waitFor();
    await page.getByText('docker-compose.yml', { exact: true }).waitFor();
    await screenshot(page, '08-stack-builder');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download .zip' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('plant-7.zip');
    const bytes = await readFile(await download.path());
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(bytes.includes(Buffer.from('docker-compose.yml'))).toBe(true);
    await page.getByText('Downloaded plant-7.zip').waitFor();

    const audit = await ui.t.api('/api/v1/audit?action=stack.downloaded', { token: ui.t.adminToken });
    expect(audit.body.items[0].details.services).toEqual(expect.arrayContaining(['grafana', 'mosquitto']));
  });

  it('shows the builder’s refusal in its own words', async () => {
    const page = await ui.page();
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await openFromNav(page, 'Stack builder');
    await page.getByLabel('Project name (optional)').fill('Not A Valid Name!');
    await page.getByRole('button', { name: 'Generate' }).click();
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('project_name');
  });
});
