/**
 * `npm run screenshots -w @driftless/ui`: a PNG of each page for docs/ui.md, taken in headless
 * Chromium against an audit service seeded with the showcase fleet (and a generated
 * 100 × 200 fleet for the matrix at scale).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@driftless/testkit';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn } from './browser.js';
import { startAudit } from './harness.js';
import { smallFleetWatcher, startPromotionAudit } from './promotion-harness.js';
import { commit, events } from '@driftless/audit/fixtures';
import { generatedFleet, SHOWCASE_RELEASE, showcaseFleet, smallFleet } from './seed.js';

const OUT = join(repoRoot(), 'docs', 'images');
const VIEWPORT = { width: 1440, height: 900 };

async function shoot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  // The live stream keeps a request open, so "network idle" never comes: wait for the live
  // badge instead, then a moment for fonts and the last render.
  await page.locator('.live.is-live').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
  const path = join(OUT, `ui-${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  process.stdout.write(`wrote docs/images/ui-${name}.png\n`);
}

/** The promotions page: one waiting for its second approval, one committed, one rejected, and a held commit. */
async function promotions(browser: Awaited<ReturnType<typeof launchBrowser>>): Promise<void> {
  const audit = await startPromotionAudit({
    label: 'ui_screens_promotions',
    watcher: smallFleetWatcher(),
    seed: [...smallFleet(), events.changeHeld({ commit: commit(70, 'mallory@elsewhere.org'), stage: 'prod' })],
  });
  try {
    const status = async (id: string) => (await audit.call<{ status: string }>('vic', 'GET', `/v1/promotions/${id}`)).body.status;
    const until = async (id: string, wanted: string) => {
      for (let i = 0; i < 200 && (await status(id)) !== wanted; i++) await new Promise((r) => setTimeout(r, 50));
    };
    const committed = await audit.call<{ id: string }>('alice', 'POST', '/v1/promotions', { component: 'payment', toStage: 'test', version: '1.1.0', reason: 'weekly release' });
    await until(committed.body.id, 'committed');
    const rejected = await audit.call<{ id: string }>('bob', 'POST', '/v1/promotions', { component: 'payment', toStage: 'prod', version: '1.1.0' });
    await until(rejected.body.id, 'waiting');
    await audit.call('carol', 'POST', `/v1/promotions/${rejected.body.id}/reject`, { reason: 'payment freeze this week' });
    const waiting = await audit.call<{ id: string }>('alice', 'POST', '/v1/promotions', { component: 'cart', toStage: 'prod', reason: 'release 1.1.0' });
    await until(waiting.body.id, 'waiting');
    await audit.call('bob', 'POST', `/v1/promotions/${waiting.body.id}/approve`, { comment: 'checked the dashboards' });

    const page = await browser.newPage(VIEWPORT);
    await signIn(page, audit.url, audit.tokens.bob, '/ui/promotions');
    await page.getByRole('table', { name: 'Held changes' }).waitFor();
    await page.getByRole('table', { name: /Recent promotions/ }).waitFor();
    await shoot(page, 'promotions', { fullPage: true });
    await page.close();
  } finally {
    await audit.stop();
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await launchBrowser();
  // `npm run screenshots -w @driftless/ui -- promotions` takes only that page's picture.
  if (process.argv[2] === 'promotions') {
    await promotions(browser);
    await browser.close();
    return;
  }
  await promotions(browser);
  const audit = await startAudit({ label: 'ui_screens', seed: showcaseFleet() });
  try {
    const page = await browser.newPage(VIEWPORT);
    await page.goto(`${audit.url}/ui/`);
    await page.getByLabel('API token').fill('dla_not-a-valid-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was refused').waitFor();
    await shoot(page, 'sign-in');

    await signIn(page, audit.url, audit.tokens.viewer);
    await page.locator('[role="gridcell"][data-tone]').first().waitFor();
    await page.locator('.live.is-live').waitFor();
    await shoot(page, 'fleet');

    await page.goto(`${audit.url}/ui/components/cart`);
    await page.getByRole('table', { name: /History of cart/ }).waitFor();
    await shoot(page, 'component', { fullPage: true });

    await page.goto(`${audit.url}/ui/clusters/prod-us-1`);
    await page.getByText('Agent heartbeat').waitFor();
    await page.locator('table.data').waitFor();
    await shoot(page, 'cluster', { fullPage: true });

    await page.goto(`${audit.url}/ui/commits/${SHOWCASE_RELEASE.sha}`);
    await page.getByTestId('progress-text').waitFor();
    await shoot(page, 'commit', { fullPage: true });

    await page.close();
    const operator = await browser.newPage(VIEWPORT);
    await signIn(operator, audit.url, audit.tokens.operator, '/ui/ledger');
    await operator.getByRole('button', { name: 'Verify chain now' }).click();
    await operator.getByText(/intact —/).waitFor();
    await shoot(operator, 'ledger');
    await operator.close();
  } finally {
    await audit.stop();
  }

  // The matrix at fleet scale.
  const large = await startAudit({ label: 'ui_screens_large', seed: generatedFleet(100, 200) });
  try {
    const page = await browser.newPage(VIEWPORT);
    await signIn(page, large.url, large.tokens.viewer);
    await page.getByText(/200 components × 100 clusters shown/).waitFor({ timeout: 60_000 });
    await page.getByText(/Loading the apps/).waitFor({ state: 'detached', timeout: 60_000 });
    await shoot(page, 'fleet-100x200');
    await page.close();
  } finally {
    await large.stop();
    await browser.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
