// reports.test.mjs: Reports, on real traffic (clicks through the
// redirect, conversions through the API) in two programs, JPY and USD:
// the table equals GET /api/v1/reports for the same query, the Total rows
// are per currency (never added across), the CSV equals the table, the
// date range's end is inclusive (the next day is sent as `to`), the time
// zone moves day boundaries, the chart's name follows metric and group and
// is zero-filled over the period, the query stays in the URL, a refused
// zone shows at its field with the API's code, and the empty state.
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
let jp;
let us;
let D; // a day ahead (UTC) whose 20:00Z is the next day in Tokyo

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
  jp = await world(srv, brand, sakura, { name: 'Winter sale', currency: 'JPY' });
  us = await world(srv, brand, sakura, { name: 'Black Friday', currency: 'USD', payout: { type: 'percent', rate_bp: 1000 } });
  await srv.api(brand.key).post(`/programs/${jp.program.id}/partners`, { partner_id: tanuki.id });
  const ua = (i) => `Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36 visitor-${i}`;
  const jc = [];
  for (let i = 0; i < 3; i++) jc.push(await click(srv, jp.link.code, { ua: ua(i), brandKey: brand.key }));
  await click(srv, jp.link.code, { ua: ua(0), brandKey: brand.key }); // a repeat: not unique
  const uc = [await click(srv, us.link.code, { ua: ua(7), brandKey: brand.key }),
    await click(srv, us.link.code, { ua: ua(8), brandKey: brand.key })];
  D = addDays(ymd(Date.now()), 3);
  await convert(srv, brand, { click_id: jc[0], order_id: 'JP-1', amount: 1999 });
  await convert(srv, brand, { click_id: jc[1], order_id: 'JP-2', amount: 12000, occurred_at: `${D}T20:00:00Z` });
  await convert(srv, brand, { click_id: uc[0], order_id: 'US-1', amount: 2500 });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

// The rows and Total rows of a report table, as the cells' raw values.
async function tableData(page, name) {
  const table = page.getByRole('table', { name, exact: true });
  await table.waitFor();
  return table.evaluate((t) => {
    const read = (tr) => {
      const o = {};
      for (const td of tr.querySelectorAll('td[data-col]')) o[td.dataset.col] = td.dataset.value;
      return o;
    };
    return {
      heads: [...t.tHead.rows[0].cells].map((c) => c.innerText.trim()),
      rows: [...t.tBodies[0].rows].map((tr) => ({ key: tr.cells[0].dataset.key, label: tr.cells[0].innerText, ...read(tr) })),
      totals: [...(t.tFoot ? t.tFoot.rows : [])].map((tr) => ({ label: tr.cells[0].innerText, ...read(tr) })),
    };
  });
}

const FIG = ['clicks', 'unique_clicks', 'conversions', 'revenue', 'payout', 'conversion_rate', 'epc'];
const KEYS = { day: 'day', hour: 'hour', campaign: 'campaign_id', partner: 'partner_id', task: 'task_id', link: 'link_id' };

function same(uiRows, apiRows, group) {
  assert.equal(uiRows.length, apiRows.length, `rows: ${JSON.stringify(uiRows)} vs ${JSON.stringify(apiRows)}`);
  apiRows.forEach((a, i) => {
    const u = uiRows[i];
    if (group) assert.equal(u.key, a[KEYS[group]] == null ? '' : String(a[KEYS[group]]), `key of row ${i}`);
    assert.equal(u.currency, a.currency || '', `currency of row ${i}`);
    for (const f of FIG) assert.equal(Number(u[f]), a[f], `${f} of row ${i}`);
  });
}

async function apiReport(query) {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''));
  return (await srv.api(brand.key).get(`/reports?${q}`)).data;
}

async function setPeriod(page, r, from, to, { tz, group } = {}) {
  const form = page.getByRole('form', { name: r.filters });
  await form.getByRole('textbox', { name: r.from, exact: true }).fill(from);
  await form.getByRole('textbox', { name: r.to, exact: true }).fill(to);
  if (tz) await form.getByRole('combobox', { name: r.tz }).selectOption(tz);
  if (group) await form.getByRole('combobox', { name: r.groupBy }).selectOption(group);
  const sent = page.waitForRequest((req) => req.url().includes('/api/v1/reports?') && new URL(req.url()).searchParams.has('group_by'));
  await form.getByRole('button', { name: r.apply }).click();
  return new URL((await sent).url()).searchParams;
}

for (const lang of LANGS) {
  const r = RN(lang);

  test(`the report's table equals GET /api/v1/reports; Total per currency; the CSV equals the table [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: '/app/reports' });
    await page.getByRole('heading', { level: 1, name: r.reports }).waitFor();
    assert.equal(await page.title(), `${r.reports} · tracklink`);
    const form = page.getByRole('form', { name: r.filters });
    // the defaults: Last 30 days ending today, inclusive, the browser's zone, by day
    assert.equal(await form.getByRole('combobox', { name: r.range }).inputValue(), 'last30');
    assert.equal(await form.getByRole('combobox', { name: r.range }).locator('option:checked').innerText(), r.last30);
    assert.deepEqual(await form.getByRole('combobox', { name: r.range }).locator('option').allInnerTexts(),
      [r.last7, r.last30, r.thisMonth, r.custom]);
    assert.equal(await form.getByRole('combobox', { name: r.tz }).inputValue(), 'Asia/Tokyo');
    assert.equal(await form.getByRole('combobox', { name: r.groupBy }).locator('option:checked').innerText(), r.day);
    const today = tokyoToday();
    assert.equal(await form.getByRole('textbox', { name: r.from, exact: true }).inputValue(), addDays(today, -29));
    assert.equal(await form.getByRole('textbox', { name: r.to, exact: true }).inputValue(), today);
    for (const name of [r.program, r.campaign, r.partner]) await form.getByRole('combobox', { name, exact: true }).waitFor();

    let ui = await tableData(page, r.report);
    assert.deepEqual(ui.heads.slice(1, 7), r.reportCols);
    assert.equal(ui.heads[0], r.day);
    same(ui.rows, await apiReport({ from: addDays(today, -29), to: addDays(today, 1), tz: 'Asia/Tokyo', group_by: 'day' }), 'day');
    await page.getByRole('img', { name: r.chartName(r.clicks, r.day), exact: true }).waitFor();

    // a custom period to D+1: the next day goes as `to`, the query stays in the URL
    const sent = await setPeriod(page, r, addDays(today, -1), addDays(D, 1));
    assert.equal(sent.get('from'), addDays(today, -1));
    assert.equal(sent.get('to'), addDays(D, 2), 'the inclusive end: the next day is sent');
    assert.equal(sent.get('tz'), 'Asia/Tokyo');
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('range'), 'custom');
    assert.equal(url.searchParams.get('from'), addDays(today, -1));
    assert.equal(url.searchParams.get('to'), addDays(D, 1));
    await page.waitForFunction((d) => [...document.querySelectorAll('table.report tbody th')].some((th) => th.dataset.key === d), addDays(D, 1));
    ui = await tableData(page, r.report);
    const query = { from: addDays(today, -1), to: addDays(D, 2), tz: 'Asia/Tokyo' };
    const rows = await apiReport({ ...query, group_by: 'day' });
    same(ui.rows, rows, 'day');
    assert.ok(rows.some((x) => x.day === addDays(D, 1) && x.conversions === 1), 'JP-2 is in the period');
    // Total: one row per currency, as the API's totals; money is never added across
    const totals = await apiReport(query);
    assert.deepEqual(totals.map((x) => x.currency), ['JPY', 'USD']);
    same(ui.totals, totals, null);
    assert.deepEqual(ui.totals.map((x) => x.label), [r.total, r.total]);
    const jpy = page.getByRole('row', { name: new RegExp(`^${r.total}.*JPY`) });
    assert.match(await jpy.innerText(), /[¥￥]13,999/);
    assert.match(await page.getByRole('row', { name: new RegExp(`^${r.total}.*USD`) }).innerText(), /\$25\.00/);
    // the chart: zero-filled over the period's days; its name follows the metric
    const days = (Date.parse(addDays(D, 1)) - Date.parse(addDays(today, -1))) / DAY + 1;
    const chart = page.getByRole('img', { name: r.chartName(r.clicks, r.day), exact: true });
    assert.equal(Number(await chart.getAttribute('data-points')), days);
    await page.getByRole('radiogroup', { name: r.chartMetric }).getByRole('radio', { name: r.revenue }).check();
    await page.getByRole('img', { name: r.chartName(r.revenue, r.day), exact: true }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('metric'), 'revenue');
    await checkA11y(page, 'Reports');
    await shot(page, 'reports', lang);
    await page.emulateMedia({ colorScheme: 'dark' });
    await checkA11y(page, 'Reports, dark');
    await shot(page, 'reports-dark', lang);
    await page.emulateMedia({ colorScheme: 'light' });

    // the CSV: the same query, and the same figures as the table
    const link = page.getByRole('link', { name: r.csv });
    const href = await link.getAttribute('href');
    const csvUrl = new URL(href, srv.base);
    assert.equal(csvUrl.searchParams.get('format'), 'csv');
    for (const k of ['from', 'to', 'tz', 'group_by']) assert.equal(csvUrl.searchParams.get(k), sent.get(k), k);
    const res = await page.request.get(csvUrl.href); // the session cookie alone
    assert.equal(res.status(), 200);
    const [head, ...lines] = (await res.text()).trim().split(/\r?\n/).map((l) => l.split(','));
    const csv = lines.map((cells) => Object.fromEntries(head.map((h, i) => [h, cells[i]])));
    assert.equal(csv.length, ui.rows.length);
    csv.forEach((c, i) => {
      assert.equal(c.day, ui.rows[i].key);
      assert.equal(c.currency, ui.rows[i].currency);
      for (const f of FIG) assert.equal(Number(c[f]), Number(ui.rows[i][f]), `${f} of CSV line ${i}`);
    });

    // at 360 px: no sideways scroll of the page (tables scroll in their frame)
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.getByRole('table', { name: r.report, exact: true }).waitFor();
    await checkA11y(page, 'reports-360');
    await shot(page, 'reports-360', lang);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `no sideways scroll at 360 px (${wide})`);
    assertNoProblems(problems);
    await context.close();
  });

  test(`the time zone moves day boundaries; grouping by campaign names the campaigns [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: '/app/reports' });
    // JP-2 happened at D 20:00 UTC: day D in UTC, D+1 in Tokyo
    let sent = await setPeriod(page, r, D, addDays(D, 1), { tz: 'UTC' });
    assert.equal(sent.get('tz'), 'UTC');
    await page.getByRole('table', { name: r.report, exact: true }).waitFor();
    let ui = await tableData(page, r.report);
    assert.deepEqual(ui.rows.map((x) => [x.key, x.conversions]), [[D, '1']]);
    same(ui.rows, await apiReport({ from: D, to: addDays(D, 2), tz: 'UTC', group_by: 'day' }), 'day');
    sent = await setPeriod(page, r, D, addDays(D, 1), { tz: 'Asia/Tokyo' });
    await page.waitForFunction((d) => document.querySelector('table.report tbody th')?.dataset.key === d, addDays(D, 1));
    ui = await tableData(page, r.report);
    assert.deepEqual(ui.rows.map((x) => [x.key, x.conversions]), [[addDays(D, 1), '1']]);
    assert.equal(new URL(page.url()).searchParams.get('tz'), 'Asia/Tokyo');
    // by hour: every hour of the two days, zero-filled
    await setPeriod(page, r, D, addDays(D, 1), { group: 'hour' });
    const hourChart = page.getByRole('img', { name: r.chartName(r.clicks, r.hour), exact: true });
    await hourChart.waitFor();
    assert.equal(Number(await hourChart.getAttribute('data-points')), 48);
    ui = await tableData(page, r.report);
    same(ui.rows, await apiReport({ from: D, to: addDays(D, 2), tz: 'Asia/Tokyo', group_by: 'hour' }), 'hour');
    assert.equal(ui.rows[0].key, `${addDays(D, 1)}T05:00:00+09:00`);

    // by campaign over the last 7 days: the campaigns by name, as the API's rows
    const form = page.getByRole('form', { name: r.filters });
    await form.getByRole('combobox', { name: r.range }).selectOption({ label: r.last7 });
    await form.getByRole('combobox', { name: r.groupBy }).selectOption({ label: r.campaign });
    await form.getByRole('button', { name: r.apply }).click();
    await page.getByRole('img', { name: r.chartName(r.clicks, r.campaign), exact: true }).waitFor();
    ui = await tableData(page, r.report);
    const today = tokyoToday();
    same(ui.rows, await apiReport({ from: addDays(today, -6), to: addDays(today, 1), tz: 'Asia/Tokyo', group_by: 'campaign' }), 'campaign');
    assert.deepEqual(ui.rows.map((x) => x.label).sort(), ['Black Friday', 'Winter sale']);
    assert.equal(new URL(page.url()).searchParams.get('range'), 'last7');
    // by task and by link: named by the task's title and the link's URL
    await form.getByRole('combobox', { name: r.groupBy }).selectOption({ label: r.task });
    await form.getByRole('button', { name: r.apply }).click();
    await page.getByRole('img', { name: r.chartName(r.clicks, r.task), exact: true }).waitFor();
    await page.getByRole('table', { name: r.report, exact: true }).getByRole('row', { name: /Winter sale task/ }).waitFor();
    ui = await tableData(page, r.report);
    assert.deepEqual(ui.rows.map((x) => x.label).sort(), ['Black Friday task', 'Winter sale task']);
    await form.getByRole('combobox', { name: r.groupBy }).selectOption({ label: r.link });
    await form.getByRole('button', { name: r.apply }).click();
    await page.getByRole('table', { name: r.report, exact: true }).getByRole('row', { name: new RegExp(jp.link.code) }).waitFor();
    ui = await tableData(page, r.report);
    assert.deepEqual(ui.rows.map((x) => x.label).sort(), [jp.link.url, us.link.url].sort());
    same(ui.rows, await apiReport({ from: addDays(today, -6), to: addDays(today, 1), tz: 'Asia/Tokyo', group_by: 'link' }), 'link');
    await form.getByRole('combobox', { name: r.groupBy }).selectOption({ label: r.campaign });
    await form.getByRole('button', { name: r.apply }).click();
    await page.getByRole('img', { name: r.chartName(r.clicks, r.campaign), exact: true }).waitFor();
    // the URL keeps the query: a reload shows the same
    await page.reload();
    await page.getByRole('img', { name: r.chartName(r.clicks, r.campaign), exact: true }).waitFor();
    assert.equal(await page.getByRole('combobox', { name: r.range }).inputValue(), 'last7');
    // Back returns to the query before
    await page.goBack();
    await page.getByRole('img', { name: r.chartName(r.clicks, r.link), exact: true }).waitFor();
    assert.equal(await page.getByRole('combobox', { name: r.groupBy }).inputValue(), 'link');
    await checkA11y(page, 'Reports by link');
    await shot(page, 'reports-by-link', lang);
    assertNoProblems(problems);
    await context.close();
  });

  test(`a zone the API refuses shows at its field; a partner without traffic: the empty state [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: '/app/reports' });
    const form = page.getByRole('form', { name: r.filters });
    const tz = form.getByRole('combobox', { name: r.tz });
    // India is 5:30 from UTC: the API's hourly days cannot be told apart there
    const kolkata = await tz.locator('option[value="Asia/Kolkata"], option[value="Asia/Calcutta"]').first().getAttribute('value');
    await tz.selectOption(kolkata);
    await form.getByRole('button', { name: r.apply }).click();
    await page.waitForFunction(() => document.querySelector('#rf-tz')?.getAttribute('aria-invalid') === 'true');
    const described = await tz.evaluate((el) => el.getAttribute('aria-describedby').split(' ')
      .map((id) => document.getElementById(id)?.innerText || '').join(' '));
    assert.match(described, /\(invalid_value\)/);
    await page.waitForFunction(() => document.activeElement?.id === 'rf-tz'); // the focus goes to the field
    assert.equal(await page.locator('[role="alert"]').count(), 0, 'at the field, not in an alert as well');
    await shot(page, 'reports-error', lang);

    // Tanuki Blog is in the program but sent no traffic
    await tz.selectOption('Asia/Tokyo');
    await form.getByRole('combobox', { name: r.partner }).selectOption({ label: 'Tanuki Blog' });
    await form.getByRole('button', { name: r.apply }).click();
    await page.getByText(r.noData, { exact: true }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('partner_id'), String(tanuki.id));
    assert.equal(await page.getByRole('table', { name: r.report, exact: true }).count(), 0);
    await page.locator('.empty').getByRole('link').waitFor();
    await checkA11y(page, 'Reports, empty');
    await shot(page, 'reports-empty', lang);
    // Manage campaign's Reports tab renders this module's ReportsPanel
    assert.equal(await page.evaluate(() => import('/app/src/reports.mjs').then((m) => typeof m.ReportsPanel)), 'function');
    assertNoProblems(problems);
    await context.close();
  });
}

test('the partner\'s report rows are theirs: a partner has no Reports, and the API agrees', async () => {
  const { context, page, problems } = await openPage(browser, 'en');
  await signIn(page, srv, tanuki, 'en', { next: '/app/reports' });
  await page.getByRole('heading', { level: 1 }).waitFor();
  assert.equal(await page.getByRole('form', { name: 'Report filters' }).count(), 0);
  assert.deepEqual((await srv.api(tanuki.key).get('/reports')).data.map((x) => x.clicks), [0]);
  assertNoProblems(problems);
  await context.close();
});
