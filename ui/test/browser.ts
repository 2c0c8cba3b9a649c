/** Headless Chromium (Debian's `chromium` package) driven by playwright-core; Playwright gives each launch a fresh profile. */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['DRIFTLESS_CHROMIUM'] ?? '/usr/bin/chromium';

export interface TestBrowser {
  browser: Browser;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium) or set DRIFTLESS_CHROMIUM`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    // A laptop screen by default.
    newPage: async (viewport = { width: 1440, height: 900 }) => browser.newPage({ viewport }),
    close: async () => {
      await browser.close();
    },
  };
}

/** Signs in through the sign-in page, as a person would. */
export async function signIn(page: Page, baseUrl: string, token: string, path = '/ui/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as').waitFor();
}
