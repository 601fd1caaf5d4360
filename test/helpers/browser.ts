import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { ROOT } from './cli.js';

/** Debian's Chromium (apt-get install chromium; listed in .ci/apt-packages). */
export const CHROMIUM = process.env.FIELDLINE_TEST_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WEB_INDEX = join(ROOT, 'dist', 'web', 'index.html');
/** Git-ignored: one picture per main page, to look at after a run. */
export const SCREENSHOTS = join(ROOT, 'test', 'e2e', 'screenshots');

/**
 * A describe block of the e2e tier. Without Chromium it is skipped with the reason in its title, and under
 * CI=true it fails instead (the tier must not pass by running nothing). Without a built UI it fails: the
 * tier tests what `npm run build` made (`npm test` builds first).
 */
export function describeInBrowser(name: string, suite: () => void): void {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') {
      describe(name, () => {
        it(`needs Chromium at ${CHROMIUM} (CI=true)`, () => {
          throw new Error(`No Chromium at ${CHROMIUM}: install it (apt-get install chromium) to run the e2e tier`);
        });
      });
      return;
    }
    describe.skip(`${name} [skipped: no Chromium at ${CHROMIUM}; apt-get install chromium]`, suite);
    return;
  }
  describe(name, () => {
    beforeAll(() => {
      if (!existsSync(WEB_INDEX)) throw new Error(`The web UI is not built (${WEB_INDEX}): run npm run build first`);
    });
    suite();
  });
}

export interface UiHarness {
  t: TestApp;
  browser: Browser;
  /** A fresh browser context (own sessionStorage) and page on the app. */
  page: () => Promise<Page>;
}

/**
 * The real app on port 0 serving the built UI, and one Chromium, for the file's tests; both closed after.
 * Returns a holder filled in beforeAll.
 */
export function useUi(options: { mqtt?: boolean } = {}): UiHarness {
  const h = {} as UiHarness;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    h.t = await startTestApp({}, options);
    h.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    h.page = async () => {
      const context = await h.browser.newContext({ baseURL: h.t.url, viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    };
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await h.browser?.close();
    await h.t?.close();
  });
  return h;
}

/** Logs in through the login form and waits for the logged-in layout. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Goes to a page of the UI by its navigation (no reload) and waits for its heading. */
export async function openFromNav(page: Page, link: string, heading: string | RegExp = link): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
