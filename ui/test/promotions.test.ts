/**
 * Promotions in a real browser (headless Chromium) against the real audit service with Postgres,
 * NATS and the promotion engine; this test answers the repo-watcher's promote command. Operators
 * approve and reject, the API's refusals are shown, a viewer sees everything but no action, the
 * component page's Promote… shows the plan before anything is recorded, held commits are listed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commit, events } from '@driftless/audit/fixtures';
import { eventually } from '@driftless/testkit';
import type { Page } from 'playwright-core';
import type { Promotion, PromotionSummary } from '../src/api/promotion-types.js';
import { launchBrowser, signIn, type TestBrowser } from './browser.js';
import { smallFleetWatcher, startPromotionAudit, type PromotionAuditUnderTest } from './promotion-harness.js';
import { smallFleet } from './seed.js';

const ACTIONS = /Approve|Reject|Promote…|Roll back/;
const HELD = commit(70, 'mallory@elsewhere.org');

describe('promotions in the web UI', () => {
  let audit: PromotionAuditUnderTest;
  let browser: TestBrowser;
  let waitingId = '';

  const statusOf = async (id: string) => (await audit.call<Promotion>('vic', 'GET', `/v1/promotions/${id}`)).body.status;

  before(async () => {
    audit = await startPromotionAudit({ label: 'ui_promotions', watcher: smallFleetWatcher(), seed: [...smallFleet(), events.changeHeld({ commit: HELD, stage: 'prod' })] });
    browser = await launchBrowser();
    // alice asks to promote cart to prod, which needs two approvals by others.
    const created = await audit.call<Promotion>('alice', 'POST', '/v1/promotions', { component: 'cart', toStage: 'prod', reason: 'release 1.1.0' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    waitingId = created.body.id;
    await eventually(async () => ((await statusOf(waitingId)) === 'waiting' ? true : undefined), { what: 'the promotion to wait for approvals', timeoutMs: 15_000 });
  });

  after(async () => {
    await (browser as TestBrowser | undefined)?.close();
    await (audit as PromotionAuditUnderTest | undefined)?.stop();
  });

  const openPromotion = async (page: Page, token: string) => {
    await signIn(page, audit.url, token, '/ui/promotions');
    const open = page.getByRole('table', { name: 'Open promotions' });
    await open.waitFor();
    assert.match(await open.innerText(), /cart@1\.1\.0 → prod[\s\S]*Waiting[\s\S]*alice[\s\S]*approvals[\s\S]*0 of 2/);
    await open.getByRole('link', { name: 'cart@1.1.0 → prod' }).click();
    await page.waitForURL(new RegExp(`/ui/promotions/${waitingId}$`));
    await page.getByRole('heading', { name: 'Plan' }).waitFor();
  };

  it('shows the requester her own approval refused, in words', async () => {
    const page = await browser.newPage();
    await openPromotion(page, audit.tokens.alice);
    await page.getByRole('button', { name: 'Approve…' }).click();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Not allowed: could not approve this promotion\. token:alice requested promotion .* cannot approve it/);
    assert.equal(await page.getByTestId('approvals-count').innerText(), '0 of 2');
    await page.close();
  });

  it('lets an operator approve with a comment, shows the approval, and refuses a second one', async () => {
    const page = await browser.newPage();
    await openPromotion(page, audit.tokens.bob);
    assert.match(await page.locator('.pending-list').innerText(), /approvals: needs 2 approvals/);
    await page.getByRole('button', { name: 'Approve…' }).click();
    // The comment field takes focus when the form opens.
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'TEXTAREA');
    await page.keyboard.type('checked the dashboards');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Approved. 1 of 2 approvals.' }).waitFor();
    assert.equal(await page.getByTestId('approvals-count').innerText(), '1 of 2');
    const approvals = page.getByRole('table', { name: 'Approvals' });
    assert.match(await approvals.innerText(), /bob\s+operator\s+checked the dashboards/);

    await page.getByRole('button', { name: 'Approve…' }).click();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Refused: could not approve this promotion\. .*already approved/);

    // The second approval (carol's, through the API) lets the engine commit: the page follows live.
    assert.equal((await audit.call('carol', 'POST', `/v1/promotions/${waitingId}/approve`, {})).status, 200);
    await page.locator('.facts [data-status="committed"]').waitFor({ timeout: 15_000 });
    await page.getByRole('table', { name: /Ledger steps/ }).getByText('promotion committed').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByRole('button', { name: ACTIONS }).count(), 0, 'a committed promotion offers no action');
    assert.equal(await page.locator('h2:has-text("Commits") + ul a').count(), 1);
    await page.close();
  });

  it('requires a reason to reject, then rejects', async () => {
    const created = await audit.call<Promotion>('alice', 'POST', '/v1/promotions', { component: 'payment', toStage: 'prod' });
    assert.equal(created.status, 201);
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.bob, `/ui/promotions/${created.body.id}`);
    await page.getByRole('button', { name: 'Reject…' }).click();
    await page.getByRole('button', { name: 'Reject', exact: true }).click();
    assert.match(await page.getByRole('alert').innerText(), /A reason is required to reject/);
    await page.getByLabel(/Reason \(required/).fill('payment freeze this week');
    await page.getByRole('button', { name: 'Reject', exact: true }).click();
    await page.locator('.facts [data-status="rejected"]').waitFor();
    assert.match(await page.locator('dl.facts').first().innerText(), /payment freeze this week[\s\S]*by bob/);
    assert.equal(await statusOf(created.body.id), 'rejected');
    await page.close();
  });

  it('shows a viewer every promotion and held change, and no action button anywhere', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.vic, '/ui/promotions');
    await page.getByRole('table', { name: /Recent promotions/ }).waitFor();
    await page.getByRole('table', { name: 'Held changes' }).waitFor();
    assert.match(await page.getByRole('table', { name: /Recent promotions/ }).innerText(), /cart@1\.1\.0 → prod/);
    assert.equal(await page.getByRole('button', { name: ACTIONS }).count(), 0);
    await page.goto(`${audit.url}/ui/promotions/${waitingId}`);
    await page.getByRole('heading', { name: 'Plan' }).waitFor();
    assert.match(await page.getByRole('table', { name: /What the promotion changes/ }).innerText(), /prod-eu\s+cart\s+1\.0\.0\s+1\.1\.0\s+shop\s+3/);
    assert.equal(await page.getByRole('button', { name: ACTIONS }).count(), 0);
    await page.goto(`${audit.url}/ui/components/cart`);
    await page.getByRole('table', { name: /versions of cart per stage/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: ACTIONS }).count(), 0);
    assert.equal(await page.getByRole('columnheader', { name: 'Action' }).count(), 0);
    await page.close();
  });

  it('shows the plan of Promote… on the component page before anything is recorded, then opens the new promotion', async () => {
    const before = (await audit.call<{ items: PromotionSummary[] }>('vic', 'GET', '/v1/promotions?component=payment&stage=test')).body.items.length;
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.bob, '/ui/components/payment');
    await page.getByRole('button', { name: 'Promote…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote payment' });
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('To stage').inputValue(), 'test', 'the stage after the first one');
    await dialog.getByLabel('Version (optional)').fill('1.2.0');
    await dialog.getByLabel('Wave size (optional)').fill('1');
    await dialog.getByRole('button', { name: 'Show plan' }).click();
    const plan = dialog.getByRole('table', { name: /What the promotion would change/ });
    await plan.waitFor();
    assert.match(await plan.innerText(), /test-1\s+payment\s+1\.0\.0\s+1\.2\.0/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'plan-heading', 'focus moves to the plan');
    assert.equal((await audit.call<{ items: PromotionSummary[] }>('vic', 'GET', '/v1/promotions?component=payment&stage=test')).body.items.length, before, 'the plan records nothing');
    const plans = audit.watcher.requests.filter((r) => r.op === 'plan' && r.components[0]?.version === '1.2.0');
    assert.equal(plans.length, 1);

    await dialog.getByRole('button', { name: 'Request this promotion' }).click();
    await page.waitForURL(/\/ui\/promotions\/pr_[0-9a-f]+$/);
    await page.getByRole('heading', { name: 'payment@1.2.0 → test' }).waitFor();
    const id = page.url().split('/').at(-1) ?? '';
    const created = (await audit.call<Promotion>('vic', 'GET', `/v1/promotions/${id}`)).body;
    assert.equal(created.requester, 'token:bob');
    assert.equal(created.wave, 1);
    // No gates on test: the engine commits the first wave (the wave then waits for health) and the page follows.
    await page.getByRole('table', { name: 'Waves' }).getByRole('link').waitFor({ timeout: 15_000 });
    assert.match(await page.getByRole('table', { name: 'Waves' }).innerText(), /1\s+test-1/);
    await page.close();
  });

  it('shows the refusal of a second promotion into a stage with one still open, and keeps the dialog', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.bob, '/ui/components/payment');
    await page.getByRole('button', { name: 'Promote…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote payment' });
    await dialog.getByLabel('Version (optional)').fill('1.3.0');
    await dialog.getByRole('button', { name: 'Show plan' }).click();
    await dialog.getByRole('button', { name: 'Request this promotion' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    // The wave rollout of payment 1.2.0 into test (the previous test) is still open.
    assert.match(await alert.innerText(), /Refused: could not request this promotion\. promotion pr_[0-9a-f]+ \(payment 1\.2\.0\) into test is still \w+; wait for it or reject it first/);
    assert.match(page.url(), /\/ui\/components\/payment$/);
    await page.close();
  });

  it('offers Roll back… per stage, closes on Escape and returns focus to the button', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.bob, '/ui/components/cart');
    const rollback = page.getByRole('button', { name: 'Roll back cart on prod…' });
    await rollback.click();
    const dialog = page.getByRole('dialog', { name: 'Roll back cart' });
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Stage to roll back').inputValue(), 'prod');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Roll back cart on prod…');
    await page.close();
  });

  it('lists a held commit with its reason, and lets an operator approve it', async () => {
    const page = await browser.newPage();
    await signIn(page, audit.url, audit.tokens.bob, '/ui/promotions');
    const held = page.getByRole('table', { name: 'Held changes' });
    await held.waitFor();
    const row = held.locator(`tr[data-sha="${HELD.sha}"]`);
    assert.match(await row.innerText(), /mallory@elsewhere\.org[\s\S]*prod: mallory@elsewhere\.org may not change prod[\s\S]*nobody yet/);
    await row.getByRole('button', { name: /^Approve commit/ }).click();
    await row.getByRole('status').filter({ hasText: 'Approved as bob' }).waitFor();
    // The approval reaches the ledger through NATS; the list follows live.
    await page.waitForFunction((sha) => document.querySelector(`tr[data-sha="${sha}"] td.approvers`)?.textContent === 'bob', HELD.sha, { timeout: 15_000 });
    await page.close();
  });
});
