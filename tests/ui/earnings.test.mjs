// earnings.test.mjs: Earnings, a partner's view of their own traffic in
// two programs (JPY and USD): the table Totals (clicks, conversions,
// earnings, per currency) equals the partner's GET /api/v1/reports, a
// reversed conversion earns nothing, the chart and its data table, and
// the table Conversions of the period; another partner's traffic never
// shows. The filters are a partner's: no Program, no Partner.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, assertNoProblems, checkA11y, launchBrowser, openPage, shot, signIn, startServer,
} from './lib/harness.mjs';
import { RN } from './lib/names_reports.mjs';
import { click, convert, world } from './lib/traffic.mjs';

let srv;
let browser;
let brand;
let sakura;
let tanuki;

const DAY = 86400000;
const ymd = (ms) => new Date(ms).toISOString().slice(0, 10);
const addDays = (d, n) => ymd(Date.parse(`${d}T00:00:00Z`) + n * DAY);
const tokyoToday = () => ymd(Date.now() + 9 * 3600000);

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  brand = await srv.newBrand({ name: 'Acme Japan' });
  sakura = await srv.newPartner({ name: 'Sakura Media' });
  tanuki = await srv.newPartner({ name: 'Tanuki Blog' });
  const jp = await world(srv, brand, sakura, { name: 'Winter sale', currency: 'JPY' });
  const us = await world(srv, brand, sakura, { name: 'Black Friday', currency: 'USD', payout: { type: 'percent', rate_bp: 1000 } });
  const other = await world(srv, brand, tanuki, { name: 'Tanuki deal', currency: 'JPY' });
  const ua = (i) => `Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 visitor-${i}`;
  const c = [];
  for (let i = 0; i < 3; i++) c.push(await click(srv, jp.link.code, { ua: ua(i), brandKey: brand.key }));
  const u = await click(srv, us.link.code, { ua: ua(5), brandKey: brand.key });
  const o = await click(srv, other.link.code, { ua: ua(9), brandKey: brand.key });
  await convert(srv, brand, { click_id: c[0], order_id: 'S-1', amount: 1999 });
  const gone = await convert(srv, brand, { click_id: c[1], order_id: 'S-2', amount: 3000 });
  await srv.api(brand.key).patch(`/conversions/${gone.id}`, { status: 'reversed', reason: 'returned' });
  const ok = await convert(srv, brand, { click_id: c[2], order_id: 'S-3', amount: 4000 });
  await srv.api(brand.key).patch(`/conversions/${ok.id}`, { status: 'approved' });
  await convert(srv, brand, { click_id: u, order_id: 'S-US-1', amount: 12345 });
  await convert(srv, brand, { click_id: o, order_id: 'T-1', amount: 9999 });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function readTable(table) {
  return table.evaluate((t) => ({
    heads: [...t.tHead.rows[0].cells].map((c) => c.innerText.trim()),
    rows: [...t.tBodies[0].rows].map((tr) => {
      const o = { text: tr.innerText };
      for (const td of tr.querySelectorAll('td[data-col]')) o[td.dataset.col] = td.dataset.value;
      return o;
    }),
  }));
}

for (const lang of LANGS) {
  const r = RN(lang);

  test(`Earnings: Totals per currency equal the partner's report; the period's conversions [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, sakura, lang);
    await page.getByRole('navigation', { name: lang === 'ja' ? 'メイン' : 'Main' })
      .getByRole('link', { name: r.earnings }).click();
    await page.getByRole('heading', { level: 1, name: r.earnings }).waitFor();
    const form = page.getByRole('form', { name: r.filters });
    await form.getByRole('combobox', { name: r.campaign }).waitFor();
    assert.equal(await form.getByRole('combobox', { name: r.partner, exact: true }).count(), 0);
    assert.equal(await form.getByRole('combobox', { name: r.program, exact: true }).count(), 0);

    const today = tokyoToday();
    const q = `from=${addDays(today, -29)}&to=${addDays(today, 1)}&tz=Asia%2FTokyo`;
    const api = (await srv.api(sakura.key).get(`/reports?${q}`)).data;
    assert.deepEqual(api.map((x) => x.currency), ['JPY', 'USD']);
    const totals = page.getByRole('table', { name: r.totals, exact: true });
    await totals.waitFor();
    const t = await readTable(totals);
    if (r.totalsCols) assert.deepEqual(t.heads, r.totalsCols);
    assert.equal(t.rows.length, api.length);
    api.forEach((a, i) => {
      for (const f of ['clicks', 'conversions', 'payout']) assert.equal(Number(t.rows[i][f]), a[f], `${f} of ${a.currency}`);
      assert.equal(t.rows[i].currency, a.currency);
    });
    // JPY: S-1 and S-3 earn ¥500 each; S-2 was reversed; Tanuki's T-1 is not here
    assert.deepEqual([Number(t.rows[0].conversions), Number(t.rows[0].payout)], [2, 1000]);
    assert.match(t.rows[0].text, /[¥￥]1,000/);
    assert.match(t.rows[1].text, /\$12\.34/); // 10% of $123.45 is 1234.5 cents: halves to even
    // the chart and its data table
    await page.getByRole('img', { name: r.chartName(r.clicks, r.day), exact: true }).waitFor();
    await page.getByRole('radiogroup', { name: r.chartMetric }).getByRole('radio', { name: lang === 'ja' ? '報酬' : 'Earnings' }).check();
    await page.getByRole('img', { name: r.chartName(lang === 'ja' ? '報酬' : 'Earnings', r.day), exact: true }).waitFor();
    const report = await readTable(page.getByRole('table', { name: r.report, exact: true }));
    const byDay = (await srv.api(sakura.key).get(`/reports?${q}&group_by=day`)).data;
    assert.deepEqual(report.rows.map((x) => [Number(x.clicks), Number(x.payout), x.currency]),
      byDay.map((x) => [x.clicks, x.payout, x.currency]));

    // the period's conversions, newest first, with their status
    const conv = page.getByRole('table', { name: r.conversionsTable, exact: true });
    await conv.getByRole('row', { name: /S-US-1/ }).waitFor();
    const ct = await readTable(conv);
    if (r.conversionCols) assert.deepEqual(ct.heads, r.conversionCols);
    const orders = await conv.locator('tbody th').allInnerTexts();
    assert.deepEqual(orders.slice().sort(), ['S-1', 'S-2', 'S-3', 'S-US-1']);
    assert.ok(!orders.includes('T-1'), 'another partner\'s conversion never shows');
    assert.match(await conv.getByRole('row', { name: /S-2/ }).innerText(), new RegExp(r.reversed));
    assert.match(await conv.getByRole('row', { name: /S-3/ }).innerText(), new RegExp(r.approved));
    assert.match(await conv.getByRole('row', { name: /\sS-1\s/ }).innerText(), /[¥￥]1,999[\s\S]*[¥￥]500/);
    await checkA11y(page, 'Earnings');
    await shot(page, 'earnings', lang);
    await page.emulateMedia({ colorScheme: 'dark' });
    await checkA11y(page, 'Earnings, dark');
    await shot(page, 'earnings-dark', lang);
    await page.emulateMedia({ colorScheme: 'light' });

    // one campaign: the totals follow, in its currency only
    await form.getByRole('combobox', { name: r.campaign }).selectOption({ label: 'Black Friday' });
    await form.getByRole('button', { name: r.apply }).click();
    await page.waitForFunction(() => document.querySelectorAll('#earn-totals ~ div tbody tr').length === 1);
    const one = await readTable(totals);
    assert.deepEqual(one.rows.map((x) => [x.currency, Number(x.clicks), Number(x.payout)]), [['USD', 1, 1234]]);
    await conv.getByRole('row', { name: /\sS-1\s/ }).waitFor({ state: 'detached' });
    assert.deepEqual(await conv.locator('tbody th').allInnerTexts(), ['S-US-1']);

    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await totals.waitFor();
    await checkA11y(page, 'earnings-360');
    await shot(page, 'earnings-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    assertNoProblems(problems);
    await context.close();
  });
}
