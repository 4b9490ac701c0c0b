// links.test.mjs: Links (brand) and the partner's Task manager, in en and
// ja. Links: every link of the brand (GET /api/v1/links), the comboboxes
// Campaign and Partner filter it (kept in the URL), each row's clicks of
// the last 30 days, Copy. Task manager: a partner sees only their own
// tasks (one article per task, named by its h2, with its Links table and
// View task details), Search tasks and Campaign narrow the list, the
// empty state for a partner with no task.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, assertNoProblems, campaignBody, checkA11y, launchBrowser, newProgram, openPage, shot,
  signIn, startServer,
} from './lib/harness.mjs';
import { LN } from './lib/names_links.mjs';
import { click } from './lib/traffic.mjs';

let srv;
let browser;
const w = {};

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  for (const lang of LANGS) {
    const brand = await srv.newBrand({ name: `Acme ${lang}` });
    const api = srv.api(brand.key);
    const program = await newProgram(api, { name: `Acme ${lang}` });
    const sakura = await srv.newPartner({ name: `Sakura ${lang}` });
    const kaede = await srv.newPartner({ name: `Kaede ${lang}` });
    const idle = await srv.newPartner({ name: `Idle ${lang}` });
    for (const p of [sakura, kaede, idle]) await api.post(`/programs/${program.id}/partners`, { partner_id: p.id });
    const camps = [];
    for (const name of [`Winter ${lang}`, `Spring ${lang}`]) {
      const c = await api.post(`/programs/${program.id}/campaigns`, campaignBody({ name }));
      for (const p of [sakura, kaede]) await api.post(`/campaigns/${c.id}/partners`, { partner_id: p.id });
      c.tasks = [
        await api.post(`/campaigns/${c.id}/tasks`, { title: `${name} blog post`, partner_ids: [sakura.id] }),
        await api.post(`/campaigns/${c.id}/tasks`, { title: `${name} video`, partner_ids: [kaede.id] }),
      ];
      camps.push(c);
    }
    // another brand's links are never listed
    const stranger = await srv.newBrand();
    const sp = await newProgram(srv.api(stranger.key), { name: 'Stranger', pages: false });
    await srv.api(stranger.key).post(`/programs/${sp.id}/partners`, { partner_id: sakura.id });
    const sc = await srv.api(stranger.key).post(`/programs/${sp.id}/campaigns`, campaignBody({ name: 'Stranger sale' }));
    await srv.api(stranger.key).post(`/campaigns/${sc.id}/partners`, { partner_id: sakura.id });
    await srv.api(stranger.key).post(`/campaigns/${sc.id}/tasks`, { title: 'Stranger task', partner_ids: [sakura.id] });
    const links = (await api.get('/links')).data;
    w[lang] = { brand, api, program, sakura, kaede, idle, camps, links };
  }
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function rows(table) {
  await table.waitFor();
  return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.linkId)).sort((a, b) => a - b));
}

for (const lang of LANGS) {
  const n = LN(lang);

  test(`Links: every link of the brand, filtered by Campaign and Partner, clicks of 30 days [${lang}]`, async () => {
    const { brand, api, camps, sakura, kaede, links } = w[lang];
    assert.equal(links.length, 4, 'one default link per task');
    const winterSakura = links.find((l) => l.campaign_id === camps[0].id && l.partner_id === sakura.id);
    await click(srv, winterSakura.code, { brandKey: brand.key });
    const { context, page, problems } = await openPage(browser, lang);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
    await signIn(page, srv, brand, lang);
    await page.getByRole('navigation', { name: lang === 'ja' ? 'メイン' : 'Main' }).getByRole('link', { name: n.links }).click();
    await page.getByRole('heading', { level: 1, name: n.links }).waitFor();
    const table = page.getByRole('table', { name: n.links });
    const ids = (xs) => xs.map((l) => l.id).sort((a, b) => a - b);
    assert.deepEqual(await rows(table), ids(links));
    const row = table.locator(`tr[data-link-id="${winterSakura.id}"]`);
    await page.waitForFunction((id) => document.querySelector(`tr[data-link-id="${id}"] td[data-value]`)?.dataset.value === '1', winterSakura.id);
    assert.match(await row.innerText(), new RegExp(sakura.name));
    await checkA11y(page, 'links');
    await shot(page, 'links', lang);

    await page.getByRole('combobox', { name: n.campaign }).selectOption({ label: camps[0].name });
    await page.waitForURL((u) => u.searchParams.get('campaign_id') === String(camps[0].id));
    await page.waitForFunction((k) => document.querySelectorAll('table.links tbody tr').length === k, 2);
    assert.deepEqual(await rows(table), ids(links.filter((l) => l.campaign_id === camps[0].id)));
    await page.getByRole('combobox', { name: n.partner }).selectOption({ label: kaede.name });
    await page.waitForURL((u) => u.searchParams.get('partner_id') === String(kaede.id));
    await page.waitForFunction((k) => document.querySelectorAll('table.links tbody tr').length === k, 1);
    assert.deepEqual(await rows(table), ids(links.filter((l) => l.campaign_id === camps[0].id && l.partner_id === kaede.id)));
    // the filters are the URL: a reload keeps them
    await page.reload();
    await page.waitForFunction((k) => document.querySelectorAll('table.links tbody tr').length === k, 1);
    assert.equal(await page.getByRole('combobox', { name: n.partner }).inputValue(), String(kaede.id));
    const only = table.locator('tbody tr').first();
    await only.getByRole('button', { name: n.copy }).click();
    await page.getByRole('status').filter({ hasText: n.copied }).waitFor();
    const url = links.find((l) => l.campaign_id === camps[0].id && l.partner_id === kaede.id).url;
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    await page.setViewportSize({ width: 360, height: 740 });
    await checkA11y(page, 'links at 360 px');
    await shot(page, 'links-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    assert.equal((await api.get('/links')).data.length, 4);
    assertNoProblems(problems);
    await context.close();
  });

  test(`Task manager: a partner sees only their own tasks and links; search and Campaign [${lang}]`, async () => {
    const { sakura, camps } = w[lang];
    const { context, page, problems } = await openPage(browser, lang);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
    await signIn(page, srv, sakura, lang);
    await page.waitForURL((u) => u.pathname === '/app/tasks');
    await page.getByRole('heading', { level: 1, name: n.myTasks }).waitFor();
    const list = page.getByRole('list', { name: n.tasks });
    await list.waitFor();
    const titles = await list.locator('article > h2').allInnerTexts();
    assert.deepEqual(titles.sort(), [`${camps[0].name} blog post`, `${camps[1].name} blog post`, 'Stranger task'].sort(),
      'their tasks of both brands, not the other partner\'s');
    const mine = (await srv.api(sakura.key).get('/links')).data;
    assert.equal(mine.length, 3);
    const article = list.getByRole('article', { name: `${camps[0].name} blog post` });
    assert.match(await article.innerText(), new RegExp(camps[0].name));
    const links = article.getByRole('table', { name: n.links });
    const url = mine.find((l) => l.task_id === camps[0].tasks[0].id).url;
    await links.getByRole('row', { name: new RegExp(url) }).waitFor();
    assert.equal(await links.getByRole('button', { name: n.disable }).count(), 0);
    await links.getByRole('button', { name: n.copy }).click();
    await page.getByRole('status').filter({ hasText: n.copied }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    await links.getByRole('button', { name: n.qr }).click();
    const dialog = page.getByRole('dialog', { name: n.qr });
    await dialog.getByRole('img', { name: n.qrAlt(url) }).waitFor();
    await dialog.getByRole('button', { name: n.close }).click();
    await checkA11y(page, 'task manager');
    await shot(page, 'taskmgr', lang);
    await page.setViewportSize({ width: 360, height: 740 });
    await checkA11y(page, 'task manager at 360 px');
    await shot(page, 'taskmgr-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('searchbox', { name: n.search }).fill('stranger');
    await page.waitForFunction(() => document.querySelectorAll('article').length === 1);
    assert.deepEqual(await list.locator('article > h2').allInnerTexts(), ['Stranger task']);
    await page.getByRole('searchbox', { name: n.search }).fill('');
    await page.getByRole('combobox', { name: n.campaign }).selectOption({ label: camps[1].name });
    await page.waitForFunction(() => document.querySelectorAll('article').length === 1);
    assert.deepEqual(await list.locator('article > h2').allInnerTexts(), [`${camps[1].name} blog post`]);
    await list.getByRole('article').getByRole('link', { name: n.viewTask }).click();
    await page.waitForURL((u) => u.pathname === `/app/tasks/${camps[1].tasks[0].id}`);
    await page.getByRole('heading', { level: 1, name: `${camps[1].name} blog post` }).waitFor();
    // another partner's task is not found
    await page.goto(`${srv.base}/app/tasks/${camps[1].tasks[1].id}`);
    await page.getByRole('alert').filter({ hasText: '(not_found)' }).waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  test(`Task manager: the empty state of a partner with no task [${lang}]`, async () => {
    const { idle } = w[lang];
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, idle, lang);
    await page.getByText(n.noTasksAssigned, { exact: true }).waitFor();
    await checkA11y(page, 'task manager, empty');
    await shot(page, 'taskmgr-empty', lang);
    assertNoProblems(problems);
    await context.close();
  });
}
