// manage.test.mjs: Manage campaign in en and ja: the h1 is the name, the
// Breadcrumb, the tablist Campaign (six tabs, each a path, arrow keys keep
// the focus on the tabs); Overview (Activate, Pause, End campaign with a
// confirmation, each checked through the API; the alert while tracking is
// off); Tasks (the empty state, Create task with Title, Description, Due
// and the Partners group, the row's View task details); Partners (Add
// partner); Links (only the campaign's); Reports (the panel, fixed to the
// campaign); Settings (Save, through the API).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, assertNoProblems, campaignBody, checkA11y, launchBrowser, newProgram, openPage, shot,
  signIn, startServer,
} from './lib/harness.mjs';
import { LN } from './lib/names_links.mjs';
import { RN } from './lib/names_reports.mjs';

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
    for (const p of [sakura, kaede]) await api.post(`/programs/${program.id}/partners`, { partner_id: p.id });
    const draft = await api.post(`/programs/${program.id}/campaigns`, campaignBody({
      name: `Winter sale ${lang}`, status: 'draft', tracking: { landing_page_mode: 'partner_choice' },
    }));
    await api.post(`/campaigns/${draft.id}/partners`, { partner_id: sakura.id });
    const off = await api.post(`/programs/${program.id}/campaigns`, campaignBody({
      name: `Quiet ${lang}`, tracking: { enabled: false },
    }));
    // a second campaign with a link, which the first one's Links tab does not show
    const other = await api.post(`/programs/${program.id}/campaigns`, campaignBody({ name: `Other ${lang}` }));
    await api.post(`/campaigns/${other.id}/partners`, { partner_id: kaede.id });
    await api.post(`/campaigns/${other.id}/tasks`, { title: 'Other task', partner_ids: [kaede.id] });
    w[lang] = { brand, api, program, sakura, kaede, draft, off, other };
  }
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

for (const lang of LANGS) {
  const n = LN(lang);
  const r = RN(lang);

  test(`Manage campaign: tabs, Overview's Activate / Pause / End campaign [${lang}]`, async () => {
    const { brand, api, draft } = w[lang];
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang);
    // from the Campaign Manager's row link
    await page.goto(`${srv.base}/app/campaigns?status=draft`);
    await page.getByRole('row', { name: new RegExp(draft.name) })
      .getByRole('link', { name: lang === 'ja' ? 'キャンペーンを管理' : 'Manage campaign' }).click();
    await page.waitForURL((u) => u.pathname === `/app/campaigns/${draft.id}/overview`);
    await page.getByRole('heading', { level: 1, name: draft.name }).waitFor();
    assert.equal(await page.title(), `${draft.name} · tracklink`);
    await page.getByRole('navigation', { name: n.breadcrumb }).waitFor();
    const tablist = page.getByRole('tablist', { name: n.campaignTabs });
    assert.deepEqual(await tablist.getByRole('tab').allInnerTexts(), n.tabs);
    assert.equal(await tablist.getByRole('tab', { name: n.tabs[0] }).getAttribute('aria-selected'), 'true');
    await checkA11y(page, 'manage overview');
    await shot(page, 'manage-overview', lang);

    // arrow keys: the next tab, its path, the focus stays on the tabs
    await tablist.getByRole('tab', { name: n.tabs[0] }).focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((u) => u.pathname === `/app/campaigns/${draft.id}/tasks`);
    assert.equal(await tablist.getByRole('tab', { name: n.tabs[1] }).getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'tab');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL((u) => u.pathname === `/app/campaigns/${draft.id}/overview`);

    const panel = page.getByRole('tabpanel');
    assert.equal(await panel.getByRole('button', { name: n.pause }).isDisabled(), true, 'a draft cannot be paused');
    await panel.getByRole('button', { name: n.activate }).click();
    await panel.getByRole('button', { name: n.pause }).and(page.locator(':enabled')).waitFor();
    assert.equal((await api.get(`/campaigns/${draft.id}`)).status, 'active');
    await panel.getByRole('button', { name: n.pause }).click();
    await panel.getByRole('button', { name: n.activate }).and(page.locator(':enabled')).waitFor();
    assert.equal((await api.get(`/campaigns/${draft.id}`)).status, 'paused');
    // End campaign asks first; Cancel changes nothing
    await panel.getByRole('button', { name: n.end }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await checkA11y(page, 'manage end confirm');
    await dialog.getByRole('button', { name: n.cancel }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await api.get(`/campaigns/${draft.id}`)).status, 'paused');
    await panel.getByRole('button', { name: n.end }).click();
    await dialog.getByRole('button', { name: n.end }).click();
    await dialog.waitFor({ state: 'hidden' });
    await panel.getByRole('button', { name: n.end }).and(page.locator(':disabled')).waitFor();
    assert.equal((await api.get(`/campaigns/${draft.id}`)).status, 'ended');
    await api.patch(`/campaigns/${draft.id}`, { status: 'active' });
    assertNoProblems(problems);
    await context.close();
  });

  test(`Manage campaign: an alert while tracking is off [${lang}]`, async () => {
    const { brand, off } = w[lang];
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: `/app/campaigns/${off.id}` });
    await page.waitForURL((u) => u.pathname === `/app/campaigns/${off.id}/overview`);
    const alert = page.getByRole('tabpanel').getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /\(tracking_disabled\)/);
    assertNoProblems(problems);
    await context.close();
  });

  test(`Manage campaign: Tasks (empty, Create task, View task details), Partners (Add partner) [${lang}]`, async () => {
    const { brand, api, draft, sakura, kaede } = w[lang];
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: `/app/campaigns/${draft.id}/tasks` });
    const panel = page.getByRole('tabpanel');
    await panel.getByText(n.noTasks, { exact: true }).waitFor();
    await checkA11y(page, 'manage tasks, empty');
    await shot(page, 'manage-tasks-empty', lang);

    await panel.getByRole('button', { name: n.createTask }).click();
    const dialog = page.getByRole('dialog', { name: n.createTask });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: n.createTask }).click();
    const title = dialog.getByRole('textbox', { name: n.title });
    await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await title.elementHandle());
    await title.fill('Instagram post');
    await dialog.getByRole('textbox', { name: n.description }).fill('One post, one story');
    await dialog.getByRole('textbox', { name: n.due }).fill('2026-12-24');
    const group = dialog.getByRole('group', { name: n.partners });
    await group.getByRole('checkbox', { name: sakura.name }).check();
    await checkA11y(page, 'manage create task');
    await shot(page, 'manage-create-task', lang);
    await dialog.getByRole('button', { name: n.createTask }).click();
    await dialog.waitFor({ state: 'hidden' });
    const table = panel.getByRole('table', { name: n.tasks });
    const row = table.getByRole('row', { name: /Instagram post/ });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(sakura.name));
    const tasks = (await api.get(`/campaigns/${draft.id}/tasks`)).data;
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].description, 'One post, one story');
    assert.deepEqual(tasks[0].partner_ids, [sakura.id]);
    // the end of 24 December in Tokyo (the browser's zone)
    assert.equal(tasks[0].due_at, '2026-12-24T14:59:59Z');
    await checkA11y(page, 'manage tasks');
    await shot(page, 'manage-tasks', lang);

    // Partners: Kaede joins
    await page.getByRole('tab', { name: n.tabs[2] }).click();
    await page.waitForURL((u) => u.pathname.endsWith('/partners'));
    const members = page.getByRole('tabpanel').getByRole('table', { name: n.partners });
    await members.getByRole('row', { name: new RegExp(sakura.name) }).waitFor();
    await page.getByRole('tabpanel').getByRole('button', { name: n.addPartner }).click();
    const add = page.getByRole('dialog', { name: n.addPartner });
    await add.getByRole('combobox', { name: n.partner }).selectOption({ label: kaede.name });
    await add.getByRole('button', { name: n.addPartner }).click();
    await add.waitFor({ state: 'hidden' });
    await members.getByRole('row', { name: new RegExp(kaede.name) }).waitFor();
    assert.ok((await api.get(`/campaigns/${draft.id}/partners`)).data.some((m) => m.partner_id === kaede.id));
    await checkA11y(page, 'manage partners');
    await shot(page, 'manage-partners', lang);

    // back to Tasks: the row's link opens the task's details
    await page.getByRole('tab', { name: n.tabs[1] }).click();
    await table.getByRole('row', { name: /Instagram post/ }).getByRole('link', { name: n.viewTask }).click();
    await page.waitForURL((u) => u.pathname === `/app/tasks/${tasks[0].id}`);
    await page.getByRole('heading', { level: 1, name: 'Instagram post' }).waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  test(`Manage campaign: Links (only the campaign's), Reports, Settings' Save [${lang}]`, async () => {
    const { brand, api, other } = w[lang];
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: `/app/campaigns/${other.id}/links` });
    const panel = page.getByRole('tabpanel');
    const table = panel.getByRole('table', { name: n.links });
    await table.waitFor();
    const mine = (await api.get(`/links?campaign_id=${other.id}`)).data;
    const every = (await api.get('/links')).data;
    assert.ok(mine.length === 1 && every.length >= 1);
    assert.equal(await table.locator('tbody tr').count(), mine.length);
    assert.match(await table.locator('tbody tr').first().innerText(), new RegExp(mine[0].url));
    await checkA11y(page, 'manage links');
    await shot(page, 'manage-links', lang);

    await page.getByRole('tab', { name: n.tabs[4] }).click();
    await panel.getByRole('form', { name: r.filters }).waitFor();
    assert.equal(await panel.getByRole('combobox', { name: r.campaign }).count(), 0, 'the campaign is fixed');
    await panel.getByRole('table', { name: r.report }).or(panel.getByText(r.noData)).first().waitFor();
    await checkA11y(page, 'manage reports');
    await shot(page, 'manage-reports', lang);

    await page.getByRole('tab', { name: n.tabs[5] }).click();
    const name = panel.getByRole('textbox', { name: n.campaignName });
    assert.equal(await name.inputValue(), other.name);
    await name.fill(`${other.name} (renamed)`);
    await panel.getByRole('button', { name: n.save }).click();
    await page.getByRole('heading', { level: 1, name: `${other.name} (renamed)` }).waitFor();
    assert.equal((await api.get(`/campaigns/${other.id}`)).name, `${other.name} (renamed)`);
    await checkA11y(page, 'manage settings');
    await shot(page, 'manage-settings', lang);
    await page.setViewportSize({ width: 360, height: 740 });
    await checkA11y(page, 'manage settings at 360 px');
    await shot(page, 'manage-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    await api.patch(`/campaigns/${other.id}`, { name: other.name });
    assertNoProblems(problems);
    await context.close();
  });
}
