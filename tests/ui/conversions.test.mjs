// conversions.test.mjs: Conversions, on real conversions of real clicks:
// the status tabs (Pending first), Approve, Reverse with a reason (the
// dialog), the history of each step, and the Rejected tab: real refusals
// (a conversion 31 days after its click, a foreign currency, an unknown
// click) listed newest first, each with its code and a sentence in the
// chosen language carrying the figures of the API's facts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, assertNoProblems, checkA11y, launchBrowser, openPage, shot, signIn, startServer,
} from './lib/harness.mjs';
import { RN } from './lib/names_reports.mjs';
import { click, clickTime, convert, iso, world } from './lib/traffic.mjs';

let srv;
let browser;
let brand;
let w;
const DAY = 86400000;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  brand = await srv.newBrand({ name: 'Acme Japan' });
  const partner = await srv.newPartner({ name: 'Sakura Media' });
  w = await world(srv, brand, partner, { name: 'Winter sale', currency: 'JPY' });
  for (const lang of LANGS) {
    const L = lang.toUpperCase();
    for (let i = 1; i <= 2; i++) {
      const cid = await click(srv, w.link.code, { ua: `Mozilla/5.0 Chrome/124.0 ${lang}-${i}`, brandKey: brand.key });
      await convert(srv, brand, { click_id: cid, order_id: `${L}-${i}`, amount: 1999 * i });
    }
  }
  // refusals, oldest first: 31 days after the click, a foreign currency, an unknown click
  const cid = await click(srv, w.link.code, { ua: 'Mozilla/5.0 Chrome/124.0 late', brandKey: brand.key });
  const at = Math.floor(clickTime(cid) / 1000) * 1000 + 31 * DAY;
  const refused = async (body, code) => {
    const e = await convert(srv, brand, body).then(() => null, (x) => x);
    assert.equal(e?.problem?.code, code);
  };
  await refused({ click_id: cid, order_id: 'LATE-1', amount: 5000, occurred_at: iso(at) }, 'outside_referral_window');
  await refused({ click_id: cid, order_id: 'EUR-1', amount: 5000, currency: 'EUR' }, 'currency_mismatch');
  await refused({ click_id: 'NoSuchClick00000000000000', order_id: 'GHOST-1', amount: 5000 }, 'click_not_found');
  const deadline = Date.now() + 15000;
  while ((await srv.api(brand.key).get('/conversions/rejected')).data.length < 3) {
    assert.ok(Date.now() < deadline, 'the refusals are listed');
    await new Promise((r) => setTimeout(r, 50));
  }
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const SENTENCES = {
  en: {
    late: 'The click was 31 days before the conversion; the referral window is 30 days.',
    eur: 'The conversion was sent in EUR, but the program\'s currency is JPY.',
    ghost: 'No click with this click ID was found in your programs.',
  },
  ja: {
    late: 'クリックはコンバージョンの31日前でした。紹介期間は30日です。',
    eur: 'コンバージョンは EUR で送信されましたが、プログラムの通貨は JPY です。',
    ghost: 'このクリックIDのクリックは、あなたのプログラムに見つかりませんでした。',
  },
};

async function statusOf(orderId) {
  const all = (await srv.api(brand.key).get('/conversions?limit=500')).data;
  return all.find((c) => c.order_id === orderId).status;
}

for (const lang of LANGS) {
  const r = RN(lang);
  const L = lang.toUpperCase();

  test(`Approve, then Reverse with a reason; the history shows each step [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: '/app/conversions' });
    await page.getByRole('heading', { level: 1, name: r.conversions }).waitFor();
    const tabs = page.getByRole('tab');
    assert.deepEqual(await tabs.allInnerTexts(), [r.pending, r.approved, r.reversed, r.rejected]);
    assert.equal(await page.getByRole('tab', { name: r.pending }).getAttribute('aria-selected'), 'true');
    const table = page.getByRole('table', { name: r.conversions });
    const row = table.getByRole('row', { name: new RegExp(`${L}-1`) });
    await row.waitFor();
    assert.match(await row.innerText(), /[¥￥]1,999/);
    // newest first, as GET /conversions?status=pending&order=desc
    const newest = (await srv.api(brand.key).get('/conversions?status=pending&order=desc')).data.map((c) => c.order_id);
    assert.deepEqual(await table.locator('tbody th').allInnerTexts(), newest);
    assert.ok(newest.indexOf(`${L}-2`) < newest.indexOf(`${L}-1`), `${L}-2 before ${L}-1`);
    await checkA11y(page, 'Conversions');
    await shot(page, 'conversions', lang);
    await page.setViewportSize({ width: 360, height: 740 });
    await checkA11y(page, 'conversions-360');
    await shot(page, 'conversions-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Approve: the conversion leaves Pending, the status region says so
    await row.getByRole('button', { name: r.approve }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(await statusOf(`${L}-1`), 'approved');
    await page.getByRole('status').filter({ hasText: `${L}-1` }).waitFor();
    assert.ok(await page.evaluate(() => document.activeElement.tagName === 'BUTTON' || document.activeElement.tagName === 'H1'),
      'the focus stays on the page');

    // Approved → Reverse, with a reason, in the dialog
    await page.getByRole('tab', { name: r.approved }).click();
    await page.waitForURL((u) => u.searchParams.get('status') === 'approved');
    const arow = page.getByRole('table', { name: r.conversions }).getByRole('row', { name: new RegExp(`${L}-1`) });
    await arow.getByRole('button', { name: r.reverse }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.getByRole('heading').innerText(), new RegExp(`${L}-1`));
    const reason = dialog.getByRole('textbox', { name: r.reason });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'cv-reason', 'the focus is in the dialog');
    await reason.fill(`Returned by the customer (${lang})`);
    await checkA11y(page, 'Reverse dialog');
    await shot(page, 'conversions-reverse', lang);
    await dialog.getByRole('button', { name: r.confirm }).click();
    await dialog.waitFor({ state: 'hidden' });
    await arow.waitFor({ state: 'detached' });
    assert.equal(await statusOf(`${L}-1`), 'reversed');

    // Reversed: no more buttons but History, which lists every step
    await page.getByRole('tab', { name: r.reversed }).click();
    const rrow = page.getByRole('table', { name: r.conversions }).getByRole('row', { name: new RegExp(`${L}-1`) });
    await rrow.waitFor();
    assert.equal(await rrow.getByRole('button', { name: r.approve }).count(), 0);
    assert.equal(await rrow.getByRole('button', { name: r.reverse }).count(), 0);
    await rrow.getByRole('button', { name: r.history }).click();
    const hist = page.getByRole('dialog').getByRole('table');
    await hist.getByRole('row').nth(3).waitFor();
    const steps = await hist.locator('tbody tr').allInnerTexts();
    assert.equal(steps.length, 3);
    assert.match(steps[1], new RegExp(`${r.pending}\\s*→\\s*${r.approved}`));
    assert.match(steps[2], new RegExp(`${r.approved}\\s*→\\s*${r.reversed}`));
    assert.ok(steps[2].includes(`Returned by the customer (${lang})`), steps[2]);
    assert.ok(steps[2].includes('Acme Japan'), 'by the brand');
    const api = (await srv.api(brand.key).get(`/conversions/${(await srv.api(brand.key).get('/conversions?status=reversed')).data.find((c) => c.order_id === `${L}-1`).id}/history`)).data;
    assert.deepEqual(api.map((h) => h.to_status), ['pending', 'approved', 'reversed']);
    await checkA11y(page, 'History dialog');
    await shot(page, 'conversions-history', lang);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.textContent), r.history, 'the focus is back on History');

    // a pending conversion may be reversed at once, too
    await page.getByRole('tab', { name: r.pending }).click();
    const prow = page.getByRole('table', { name: r.conversions }).getByRole('row', { name: new RegExp(`${L}-2`) });
    await prow.getByRole('button', { name: r.reverse }).click();
    await page.getByRole('dialog').getByRole('button', { name: r.confirm }).click();
    await prow.waitFor({ state: 'detached' });
    assert.equal(await statusOf(`${L}-2`), 'reversed');
    assertNoProblems(problems);
    await context.close();
  });

  test(`the Rejected tab: the code and a sentence with the figures, newest first [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: '/app/conversions?status=rejected' });
    assert.equal(await page.getByRole('tab', { name: r.rejected }).getAttribute('aria-selected'), 'true');
    const table = page.getByRole('table', { name: /./ });
    await table.waitFor();
    if (r.rejectedCols) assert.deepEqual(await table.locator('thead th').allInnerTexts(), r.rejectedCols);
    const api = (await srv.api(brand.key).get('/conversions/rejected')).data;
    const orders = await table.locator('tbody th').allInnerTexts();
    assert.deepEqual(orders, api.map((x) => x.order_id).reverse(), 'newest first');
    const late = table.getByRole('row', { name: /LATE-1/ });
    assert.equal(await late.locator('code').innerText(), 'outside_referral_window');
    assert.equal(await late.locator('.why').innerText(), SENTENCES[lang].late);
    const facts = api.find((x) => x.order_id === 'LATE-1').facts;
    assert.equal(facts.click_age_days, 31);
    assert.equal(facts.referral_window_days, 30);
    assert.ok((await late.innerText()).includes(api.find((x) => x.order_id === 'LATE-1').click_id), 'the click id');
    const eur = table.getByRole('row', { name: /EUR-1/ });
    assert.equal(await eur.locator('code').innerText(), 'currency_mismatch');
    assert.equal(await eur.locator('.why').innerText(), SENTENCES[lang].eur);
    const ghost = table.getByRole('row', { name: /GHOST-1/ });
    assert.equal(await ghost.locator('code').innerText(), 'click_not_found');
    assert.equal(await ghost.locator('.why').innerText(), SENTENCES[lang].ghost);
    // and what to do about it
    assert.ok((await late.locator('.hint').first().innerText()).length > 20);
    await checkA11y(page, 'Rejected');
    await shot(page, 'conversions-rejected', lang);
    await page.emulateMedia({ colorScheme: 'dark' });
    await checkA11y(page, 'Rejected, dark');
    await shot(page, 'conversions-rejected-dark', lang);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.getByRole('row', { name: /LATE-1/ }).waitFor();
    await checkA11y(page, 'conversions-rejected-360');
    await shot(page, 'conversions-rejected-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    // arrow keys move between the status tabs
    await page.getByRole('tab', { name: r.rejected }).focus();
    await page.keyboard.press('Home');
    await page.waitForURL((u) => u.searchParams.get('status') === 'pending');
    assertNoProblems(problems);
    await context.close();
  });
}
