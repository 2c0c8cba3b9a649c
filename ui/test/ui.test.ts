/**
 * The web UI in a real browser (headless Chromium) against a real audit service with a seeded
 * ledger: matrix versions and colours, a live update over SSE, the component timeline, a
 * commit's partial progress, role-dependent actions, and sign-in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { events } from '@driftless/audit/fixtures';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn, type TestBrowser } from './browser.js';
import { startAudit, type AuditUnderTest } from './harness.js';
import { BOB, smallFleet } from './seed.js';

const cell = (page: Page, component: string, cluster: string) => page.locator(`[role="gridcell"][data-component="${component}"][data-cluster="${cluster}"]`);

describe('web UI in a real browser', () => {
  let audit: AuditUnderTest;
  let browser: TestBrowser;

  before(async () => {
    audit = await startAudit({ label: 'ui_browser', seed: smallFleet() });
    browser = await launchBrowser();
  });

  after(async () => {
    await (browser as TestBrowser | undefined)?.close();
    await (audit as AuditUnderTest | undefined)?.stop();
  });

  it('shows the seeded versions and colours in the fleet matrix, grouped by stage', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.viewer);
    const grid = page.getByRole('grid', { name: /Fleet matrix/ });
    await grid.waitFor();
    assert.deepEqual(await page.locator('.matrix-stage').allInnerTexts(), ['DEV (1)', 'TEST (1)', 'PROD (2)']);

    const prodEu = cell(page, 'cart', 'prod-eu');
    assert.equal(await prodEu.getAttribute('data-applied'), '1.1.0');
    assert.equal(await prodEu.getAttribute('data-tone'), 'healthy');
    assert.equal(await prodEu.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(220, 252, 231)');
    assert.match((await prodEu.getAttribute('aria-label')) ?? '', /applied 1\.1\.0, Healthy, versions differ within prod/);

    const prodUs = cell(page, 'cart', 'prod-us');
    assert.equal(await prodUs.getAttribute('data-applied'), '1.0.0');
    assert.equal(await prodUs.getAttribute('data-desired'), '1.1.0', 'the desired version shows where it differs');
    assert.match(await prodUs.innerText(), /1\.0\.0[\s\S]*→ 1\.1\.0/);
    assert.match((await prodUs.getAttribute('class')) ?? '', /is-skewed/);

    const testCart = cell(page, 'cart', 'test-1');
    assert.equal(await testCart.getAttribute('data-tone'), 'failed');
    assert.equal(await testCart.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(254, 202, 202)');

    const payment = cell(page, 'payment', 'prod-us');
    assert.equal(await payment.getAttribute('data-tone'), 'degraded');
    assert.match((await payment.getAttribute('class')) ?? '', /is-drifted/);
    assert.match(await payment.innerText(), /⚠/);
    assert.equal(await cell(page, 'search', 'dev-1').getAttribute('data-tone'), 'progressing');
    assert.match((await cell(page, 'search', 'prod-eu').getAttribute('aria-label')) ?? '', /search is not on prod-eu/);

    // Filters: stage and label narrow the columns.
    await page.getByLabel('Stage', { exact: true }).selectOption('prod');
    await page.waitForFunction(() => document.querySelectorAll('.matrix-cluster').length === 2);
    await page.getByLabel('Cluster label', { exact: true }).selectOption('region=us');
    await page.waitForFunction(() => document.querySelectorAll('.matrix-cluster').length === 1);
    assert.deepEqual(await page.locator('.matrix-cluster').allInnerTexts(), ['prod-us']);

    // The app filter: its choices arrive with the full inventory, read after the first screen.
    await page.goto(`${audit.url}/ui/`);
    await page.waitForFunction(() => [...document.querySelectorAll('#filter-app option')].some((o) => o.textContent === 'kiosk'));
    await page.getByLabel('App', { exact: true }).selectOption('kiosk');
    await page.waitForFunction(() => document.querySelectorAll('.matrix-rowheader').length === 1);
    assert.deepEqual(await page.locator('.matrix-rowheader').allInnerTexts(), ['cart']);
    assert.match(page.url(), /app=kiosk/);
    await page.close();
  });

  it('moves between cells with the arrow keys and opens a cell history with Enter', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.viewer);
    await cell(page, 'cart', 'dev-1').waitFor();
    // Tab from the last filter enters the grid at its one tab stop, the first cell.
    await page.getByLabel('Component', { exact: true }).focus();
    await page.keyboard.press('Tab');
    assert.deepEqual(await page.evaluate(() => [document.activeElement?.getAttribute('data-component'), document.activeElement?.getAttribute('data-cluster')]), ['cart', 'dev-1']);
    assert.equal(await page.locator('[role="grid"] [tabindex="0"]').count(), 1);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-cluster')), 'test-1');
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await page.evaluate(() => [document.activeElement?.getAttribute('data-component'), document.activeElement?.getAttribute('data-cluster')]), ['payment', 'test-1']);
    await page.keyboard.press('Home');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'rowheader');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/ui\/ledger\?cluster=dev-1&component=payment/);
    await page.getByRole('table', { name: /Ledger rows/ }).waitFor();
    await page.close();
  });

  it('lists the seeded authors in the component timeline, with versions per stage and the blast radius', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.viewer, '/ui/components/cart');
    const timeline = page.getByRole('table', { name: /History of cart/ });
    await timeline.waitFor();
    const text = await timeline.innerText();
    assert.match(text, /ada@example\.com/);
    assert.match(text, /bob@example\.com/);
    assert.match(text, /1\.0\.0 → 1\.1\.0/);
    const stages = await page.getByRole('table', { name: /versions of cart per stage/ }).innerText();
    assert.match(stages, /prod\s+2/);
    assert.match(await page.getByRole('img', { name: /cart is used by 2 apps on 4 clusters/ }).innerHTML(), /kiosk/);
    await page.close();
  });

  it('shows a commit partially rolled out: applied, failed and waiting clusters', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.viewer, `/ui/commits/${BOB.sha}`);
    const progress = page.getByTestId('progress-text');
    await progress.waitFor();
    assert.match(await progress.innerText(), /^2 of 4 applied, 2 healthy, 1 failed, 1 waiting$/);
    assert.equal(await page.locator('tr[data-status="failed"]').count(), 1);
    assert.match(await page.locator('tr[data-status="failed"]').innerText(), /test-1[\s\S]*admission webhook/);
    assert.match(await page.locator('.page-title').innerText(), /change 2 — bob <bob@example\.com>/);

    // Live: the failed cluster is fixed while the page is open.
    await audit.ingest([events.applied({ cluster: 'test-1', component: 'cart', version: '1.1.0', commitSha: BOB.sha })]);
    await page.waitForFunction(() => document.querySelector('[data-testid="progress-text"]')?.textContent?.startsWith('3 of 4 applied'), undefined, { timeout: 10_000 });
    assert.equal(await page.locator('tr[data-status="failed"]').count(), 0);
    await page.close();
  });

  it('updates a cell when a new transition arrives over SSE, without a reload', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.viewer);
    const prodUs = cell(page, 'cart', 'prod-us');
    await prodUs.waitFor();
    await page.locator('.live.is-live').waitFor();
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
    await audit.ingest([
      events.applied({ cluster: 'prod-us', component: 'cart', version: '1.1.0', commitSha: BOB.sha }),
      events.healthChanged({ cluster: 'prod-us', component: 'cart', version: '1.1.0', from: 'Healthy', to: 'Healthy' }),
    ]);
    await page.waitForFunction(() => document.querySelector('[data-component="cart"][data-cluster="prod-us"]')?.getAttribute('data-applied') === '1.1.0', undefined, { timeout: 10_000 });
    assert.equal(await prodUs.getAttribute('data-desired'), '');
    // prod now runs one version of cart: the skew flag goes away on both prod cells.
    await page.waitForFunction(() => !document.querySelector('[data-component="cart"][data-cluster="prod-eu"]')?.classList.contains('is-skewed'));
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: string }).marker), 'same page');
    await page.close();
  });

  it('shows no action button to a viewer, and the actions to an admin', async () => {
    const actions = /Revoke cluster|Verify chain now/;
    const viewer = await browser.newPage();
    await signIn(viewer, audit.url, audit.tokens.viewer, '/ui/clusters/prod-eu');
    await viewer.getByText('Agent heartbeat').waitFor();
    assert.equal(await viewer.getByRole('button', { name: actions }).count(), 0);
    await viewer.getByRole('link', { name: 'Ledger' }).click();
    await viewer.getByText('verification needs the operator role').waitFor();
    assert.equal(await viewer.getByRole('button', { name: actions }).count(), 0);
    await viewer.close();

    const admin = await browser.newPage();
    await signIn(admin, audit.url, audit.tokens.admin, '/ui/clusters/prod-eu');
    await admin.getByRole('button', { name: 'Revoke cluster' }).waitFor();
    await admin.getByRole('link', { name: 'Ledger' }).click();
    await admin.getByRole('button', { name: 'Verify chain now' }).click();
    await admin.getByText(/intact — \d+ rows/).waitFor();
    await admin.close();
  });

  it('returns to sign-in with a message for a bad token, and when the token stops working', async () => {
    const page = await browser.newPage();
    await page.goto(`${audit.url}/ui/`);
    await page.getByLabel('API token').fill('dla_not-a-real-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/That token was refused: the bearer token is not valid/).waitFor();

    // A stored token that the service no longer accepts ends the session on the first call.
    await signIn(page, audit.url, audit.tokens.operator);
    await audit.db.sql`update api_tokens set revoked_at = now() where name = 'otto-operator'`;
    // Move within the app (no reload): the next call is refused. A request still running on the
    // fleet page may be refused first; either way the page ends on sign-in with the reason.
    await page.evaluate(() => {
      history.pushState(null, '', '/ui/ledger');
      window.dispatchEvent(new Event('driftless:navigate'));
    });
    await page.getByText(/You were signed out: the bearer token is not valid or has been revoked/).waitFor();
    assert.equal(await page.getByLabel('API token').count(), 1);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('driftless.token')), null);
    await page.close();
  });
});
