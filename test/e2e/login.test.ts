import { expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../helpers/app.js';
import { describeInBrowser, screenshot, useUi } from '../helpers/browser.js';

describeInBrowser('web UI: logging in', () => {
  const ui = useUi();

  it('shows the server’s refusal for a wrong password, then logs in with the right one', async () => {
    const page = await ui.page();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Fieldline' }).waitFor();
    await screenshot(page, '01-login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/unknown username or wrong password/i);

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByText(/· owner · Default/).waitFor();
  });

  it('keeps the session across a reload, and logging out returns to the login', async () => {
    const page = await ui.page();
    await page.goto('/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();

    // A deep link reloaded in the browser: the server answers index.html, the UI opens that page.
    await page.goto('/alerts');
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  });

  it('returns to the login with a reason when the server stops accepting the token', async () => {
    const page = await ui.page();
    await page.goto('/');
    // A token the server never issued, as a revoked or expired one looks to the UI.
    await page.evaluate(
      `sessionStorage.setItem('fieldline.session', JSON.stringify({ token: 'not-a-token', expiresAt: Date.now() + 60000 }))`,
    );
    await page.reload();
    await page.getByText(/your session has ended/i).waitFor();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  });
});
