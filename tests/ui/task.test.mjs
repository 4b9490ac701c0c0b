// task.test.mjs: Task details, the link generator, in en and ja: the three
// landing-page modes (partner_choice: a typed URL, checked against the
// permitted domains, a refused one shown at its field with
// landing_page_not_permitted; brand_selected: the campaign's pages in a
// combobox "name — URL"; program_default: the default, read only, and the
// link made without a click), Short by default and Regular, Advanced sub
// ids, Copy onto the clipboard, the copied short link answering 302 with a
// click id, the QR code dialog (image, Download SVG), Disable, tracking
// off or a paused campaign (an alert with the code, Create link disabled),
// a partner making their own link, and a cookie write without the CSRF
// header refused with 403 csrf_invalid.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, assertNoProblems, campaignBody, checkA11y, launchBrowser, newProgram, openPage, shot,
  signIn, startServer,
} from './lib/harness.mjs';
import { LN } from './lib/names_links.mjs';

let srv;
let browser;
const w = {};

async function campaign(api, program, partner, name, tracking, extra = {}) {
  const c = await api.post(`/programs/${program.id}/campaigns`, campaignBody({ name, tracking, ...extra }));
  await api.post(`/campaigns/${c.id}/partners`, { partner_id: partner.id });
  const task = await api.post(`/campaigns/${c.id}/tasks`, {
    title: `${name} task`, description: 'Post about it', partner_ids: [partner.id],
  });
  return { ...c, task };
}

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  for (const lang of LANGS) {
    const brand = await srv.newBrand({ name: `Acme ${lang}` });
    const partner = await srv.newPartner({ name: `Sakura ${lang}` });
    const other = await srv.newPartner({ name: `Other ${lang}` });
    const api = srv.api(brand.key);
    const program = await newProgram(api, { name: `Acme ${lang}` });
    for (const p of [partner, other]) await api.post(`/programs/${program.id}/partners`, { partner_id: p.id });
    const [winter, spring] = program.pages;
    w[lang] = {
      brand, partner, other, api, program,
      choice: await campaign(api, program, partner, `Choice ${lang}`, { landing_page_mode: 'partner_choice' }),
      selected: await campaign(api, program, partner, `Selected ${lang}`,
        { landing_page_mode: 'brand_selected', landing_page_ids: [winter.id, spring.id] }),
      dflt: await campaign(api, program, partner, `Default ${lang}`, { landing_page_mode: 'program_default' }),
      off: await campaign(api, program, partner, `Off ${lang}`, { enabled: false, landing_page_mode: 'partner_choice' }),
      paused: await campaign(api, program, partner, `Paused ${lang}`, { landing_page_mode: 'partner_choice' }, { status: 'paused' }),
    };
    // the other partner is in the choice campaign, on no task
    await api.post(`/campaigns/${w[lang].choice.id}/partners`, { partner_id: other.id });
  }
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function open(lang, who, path, { clipboard = false, width } = {}) {
  const o = await openPage(browser, lang, width ? { width, height: 800 } : undefined);
  if (clipboard) await o.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
  await signIn(o.page, srv, who, lang, { next: path });
  await o.page.waitForURL((u) => u.pathname === path);
  return o;
}

function region(page, n) {
  return page.getByRole('region', { name: n.trackingLink });
}

// Waits for the field's error and answers its description.
async function fieldError(page, locator) {
  await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await locator.elementHandle());
  const by = await locator.evaluate((el) => el.getAttribute('aria-describedby').split(' ')
    .map((id) => document.getElementById(id)?.textContent || ''));
  return by[0]; // the error comes first, then the hint
}

async function redirectOf(url) {
  const res = await fetch(url, { redirect: 'manual', headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36' } });
  return { status: res.status, location: res.headers.get('location') };
}

for (const lang of LANGS) {
  const n = LN(lang);

  test(`partner_choice: a refused domain at its field, then a short link, Copy, 302 with a click id, QR [${lang}]`, async () => {
    const { choice, brand, partner, api } = w[lang];
    const { context, page, problems } = await open(lang, brand, `/app/tasks/${choice.task.id}`, { clipboard: true });
    await page.getByRole('heading', { level: 1, name: choice.task.title }).waitFor();
    assert.equal(await page.title(), `${choice.task.title} · tracklink`);
    const assigned = page.getByRole('region', { name: n.assigned });
    await assigned.getByText(partner.name).waitFor();
    const r = region(page, n);
    assert.equal(await r.getByRole('combobox', { name: n.partner }).inputValue(), String(partner.id), 'the one partner is preselected');
    const url = r.getByRole('textbox', { name: n.landingUrl });
    const hint = await url.evaluate((el) => el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' '));
    assert.match(hint, /acme\.test, \*\.acme\.test/);
    assert.equal(await r.getByRole('radiogroup', { name: n.linkType }).getByRole('radio', { name: n.short }).isChecked(), true);
    assert.equal(await r.getByRole('radio', { name: n.regular }).isChecked(), false);

    await url.fill('https://www.evil.test/x');
    await r.getByRole('button', { name: n.createLink }).click();
    const msg = await fieldError(page, url);
    assert.match(msg, /\(landing_page_not_permitted\)$/);
    assert.equal(await page.evaluate(() => document.activeElement.id), await url.getAttribute('id'), 'focus on the field');
    assert.equal(await page.locator('main [role="alert"]').count(), 0, 'at the field, not in an alert');
    await checkA11y(page, 'task details, refused landing page');
    await shot(page, 'task-refused', lang);

    await url.fill('https://www.acme.test/summer?ref=1');
    assert.equal(await url.getAttribute('aria-invalid'), null, 'the error goes with the edit');
    assert.equal(await r.getByRole('button', { name: n.advanced }).getAttribute('aria-expanded'), 'false');
    assert.equal(await r.getByRole('textbox', { name: n.sub(1) }).isVisible(), false, 'Advanced starts closed');
    await r.getByRole('button', { name: n.advanced }).click();
    assert.equal(await r.getByRole('button', { name: n.advanced }).getAttribute('aria-expanded'), 'true');
    await r.getByRole('textbox', { name: n.sub(1) }).fill('newsletter');
    await r.getByRole('textbox', { name: n.shared }).fill('shared-7');
    await r.getByRole('button', { name: n.createLink }).click();
    const box = r.getByRole('textbox', { name: n.trackingLink });
    const link = await box.inputValue();
    assert.match(link, new RegExp(`^${srv.base}/[0-9A-Za-z]{7}$`));
    assert.equal(await box.evaluate((e) => e.readOnly), true);
    const made = (await api.get(`/tasks/${choice.task.id}/links`)).data.find((l) => l.url === link);
    assert.ok(made, 'the API has the link');
    assert.equal(made.landing_page_url, 'https://www.acme.test/summer?ref=1');
    assert.equal(made.shared_id, 'shared-7');
    assert.equal(made.sub_id1, 'newsletter');

    await r.getByRole('button', { name: n.copy }).click();
    await page.getByRole('status').filter({ hasText: n.copied }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, link);
    const hop = await redirectOf(copied);
    assert.equal(hop.status, 302);
    const loc = new URL(hop.location);
    assert.equal(loc.origin + loc.pathname, 'https://www.acme.test/summer');
    assert.equal(loc.searchParams.get('ref'), '1');
    assert.match(loc.searchParams.get('clickid'), /^[0-9A-Za-z]{25}$/);

    // the table after the region: the link, its landing page and status
    const table = page.getByRole('table', { name: n.links });
    const row = table.getByRole('row', { name: new RegExp(link.replace(/[.?]/g, '\\$&')) });
    await row.waitFor();
    assert.match(await row.innerText(), /www\.acme\.test\/summer\?ref=1/);
    assert.match(await row.innerText(), new RegExp(n.active));
    if (n.linkCols) assert.deepEqual((await table.locator('thead th').allInnerTexts()).slice(0, 4), n.linkCols);
    assert.ok(await page.evaluate(() => {
      const region = document.getElementById('tk-link').closest('section');
      const table = document.querySelector('table.links');
      return !region.contains(table) && (region.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING);
    }), 'the Links table comes after the Tracking link region');

    // QR code of the new link
    await r.getByRole('button', { name: n.qr }).click();
    const dialog = page.getByRole('dialog', { name: n.qr });
    await dialog.waitFor();
    const img = dialog.getByRole('img', { name: n.qrAlt(link) });
    await img.waitFor();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    const dl = dialog.getByRole('link', { name: n.download });
    assert.equal(await dl.getAttribute('download'), `${made.code}-qr.svg`);
    const svg = await page.evaluate((href) => fetch(href).then((x) => x.text()), await dl.getAttribute('href'));
    assert.match(svg, /^<\?xml|^<svg/);
    await checkA11y(page, 'task details, QR code');
    await shot(page, 'task-qr', lang);
    await dialog.getByRole('button', { name: n.close }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.textContent), n.qr, 'focus back on QR code');

    await checkA11y(page, 'task details');
    await shot(page, 'task', lang);
    await page.setViewportSize({ width: 360, height: 740 });
    await checkA11y(page, 'task details at 360 px');
    await shot(page, 'task-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Disable: the row says Disabled, the short link then credits nobody
    await row.getByRole('button', { name: n.disable }).click();
    // (exact: in Japanese the button's 無効にする contains the status 無効)
    await row.getByText(n.disabled, { exact: true }).waitFor();
    assert.equal(await row.getByRole('button', { name: n.disable }).count(), 0);
    await page.waitForFunction((t) => document.activeElement?.textContent === t, n.copy);
    const gone = await redirectOf(link);
    assert.equal(gone.status, 302);
    assert.equal(new URL(gone.location).searchParams.get('clickid'), null);
    assertNoProblems(problems);
    await context.close();
  });

  test(`brand_selected: the campaign's pages "name — URL", none chosen at the combobox, a Regular link [${lang}]`, async () => {
    const { selected, brand, partner, program } = w[lang];
    const { context, page, problems } = await open(lang, brand, `/app/tasks/${selected.task.id}`);
    const r = region(page, n);
    const pick = r.getByRole('combobox', { name: n.landingPage });
    await pick.waitFor();
    const labels = await pick.locator('option').allInnerTexts();
    assert.deepEqual(labels.slice(1), ['Winter page — https://www.acme.test/winter', 'Spring page — https://www.acme.test/spring']);
    assert.equal(await r.getByRole('textbox', { name: n.landingUrl }).count(), 0);
    await r.getByRole('button', { name: n.createLink }).click();
    // none chosen: the server's landing_page_required, at the combobox, said as a choice
    assert.match(await fieldError(page, pick), n.choosePage);
    await pick.selectOption({ label: 'Spring page — https://www.acme.test/spring' });
    await r.getByRole('radio', { name: n.regular }).check();
    await r.getByRole('button', { name: n.createLink }).click();
    const link = await r.getByRole('textbox', { name: n.trackingLink }).inputValue();
    const u = new URL(link);
    assert.equal(u.pathname, `/c/${partner.id}/${selected.task.id}/${selected.id}`);
    assert.equal(u.searchParams.get('u'), 'https://www.acme.test/spring');
    const hop = await redirectOf(link);
    assert.equal(hop.status, 302);
    assert.match(hop.location, /^https:\/\/www\.acme\.test\/spring\?clickid=[0-9A-Za-z]{25}$/);
    await page.getByRole('table', { name: n.links }).getByRole('row', { name: /spring/ }).waitFor();
    await checkA11y(page, 'task details, brand_selected');
    await shot(page, 'task-selected', lang);
    assert.ok(program.pages.length === 2);
    assertNoProblems(problems);
    await context.close();
  });

  test(`program_default: the default read only, the link made without a click, again for Regular [${lang}]`, async () => {
    const { dflt, brand, api } = w[lang];
    const { context, page, problems } = await open(lang, brand, `/app/tasks/${dflt.task.id}`);
    const r = region(page, n);
    const lp = r.getByRole('textbox', { name: n.landingPage });
    await lp.waitFor();
    assert.equal(await lp.inputValue(), 'https://www.acme.test/');
    assert.equal(await lp.evaluate((e) => e.readOnly), true);
    await r.getByText(n.automatic).waitFor();
    const made = (await api.get(`/tasks/${dflt.task.id}/links`)).data;
    assert.equal(made.length, 1, 'assigning the partner made their short link');
    const box = r.getByRole('textbox', { name: n.trackingLink });
    assert.equal(await box.inputValue(), made[0].url, 'shown without a click');
    await r.getByRole('button', { name: n.createLink }).waitFor();
    await r.getByRole('radio', { name: n.regular }).check();
    await page.waitForFunction((el) => /\/c\/\d+\/\d+\/\d+$/.test(document.getElementById('tl-link')?.value || ''), null);
    const regular = await box.inputValue();
    assert.equal(regular, `${srv.base}/c/${w[lang].partner.id}/${dflt.task.id}/${dflt.id}`);
    const after = (await api.get(`/tasks/${dflt.task.id}/links`)).data;
    assert.equal(after.length, 2);
    // Create link stays, and answers the same link (200)
    await r.getByRole('button', { name: n.createLink }).click();
    await page.waitForFunction(() => document.getElementById('tl-link')?.value);
    assert.equal(await box.inputValue(), regular);
    assert.equal((await api.get(`/tasks/${dflt.task.id}/links`)).data.length, 2);
    await checkA11y(page, 'task details, program_default');
    await shot(page, 'task-default', lang);
    assertNoProblems(problems);
    await context.close();
  });

  test(`Copy without navigator.clipboard (plain http): the link is selected and copied by execCommand [${lang}]`, async () => {
    const { dflt, partner } = w[lang];
    const o = await openPage(browser, lang);
    // what a page served over plain http to another host sees
    await o.context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
    });
    await signIn(o.page, srv, partner, lang, { next: `/app/tasks/${dflt.task.id}` });
    const page = o.page;
    const r = region(page, n);
    const box = r.getByRole('textbox', { name: n.trackingLink });
    const link = await box.inputValue();
    assert.match(link, new RegExp(`^${srv.base}/\\w{7}$`), 'the partner\'s default link, made without a click');
    assert.equal(await page.evaluate(() => navigator.clipboard), undefined);
    await r.getByRole('button', { name: n.copy }).click();
    const status = page.getByRole('status');
    await status.filter({ hasText: new RegExp(`${n.copied}|${n.pressCtrlC}`) }).waitFor();
    const sel = await box.evaluate((el) => [document.activeElement === el, el.selectionStart, el.selectionEnd]);
    assert.deepEqual(sel, [true, 0, link.length], 'the link is selected in its textbox');
    await page.emulateMedia({ colorScheme: 'dark' });
    await checkA11y(page, 'task details (partner), dark');
    await shot(page, 'task-partner-dark', lang);
    assertNoProblems(o.problems);
    await o.context.close();
  });

  test(`tracking off and a paused campaign: an alert with the code, Create link disabled [${lang}]`, async () => {
    const { off, paused, brand } = w[lang];
    const { context, page, problems } = await open(lang, brand, `/app/tasks/${off.task.id}`);
    const r = region(page, n);
    const alert = r.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /\(tracking_disabled\)/);
    assert.equal(await r.getByRole('button', { name: n.createLink }).isDisabled(), true);
    await checkA11y(page, 'task details, tracking off');
    await shot(page, 'task-tracking-off', lang);
    await page.goto(`${srv.base}/app/tasks/${paused.task.id}`);
    await region(page, n).getByRole('alert').filter({ hasText: '(campaign_not_active)' }).waitFor();
    assert.equal(await region(page, n).getByRole('button', { name: n.createLink }).isDisabled(), true);
    assertNoProblems(problems);
    await context.close();
  });

  test(`Assign partner: the campaign's other partner joins the task and the Partner combobox [${lang}]`, async () => {
    const { choice, brand, other, api } = w[lang];
    const { context, page, problems } = await open(lang, brand, `/app/tasks/${choice.task.id}`);
    const assigned = page.getByRole('region', { name: n.assigned });
    await assigned.getByRole('button', { name: n.assign }).click();
    const dialog = page.getByRole('dialog', { name: n.assign });
    await dialog.getByRole('combobox', { name: n.partner }).selectOption({ label: other.name });
    await checkA11y(page, 'task details, assign partner');
    await dialog.getByRole('button', { name: n.assign }).click();
    await dialog.waitFor({ state: 'hidden' });
    await assigned.getByText(other.name).waitFor();
    const pick = region(page, n).getByRole('combobox', { name: n.partner });
    await pick.locator('option', { hasText: other.name }).waitFor({ state: 'attached' });
    assert.equal(await pick.inputValue(), '', 'two partners: none preselected');
    assert.ok((await api.get(`/tasks/${choice.task.id}/partners`)).data.some((m) => m.partner_id === other.id));
    assertNoProblems(problems);
    await context.close();
  });

  test(`a partner makes their own link; a cookie write without X-CSRF-Token is 403 csrf_invalid [${lang}]`, async () => {
    const { choice, selected, partner, other } = w[lang];
    const { context, page, problems } = await open(lang, partner, `/app/tasks/${choice.task.id}`, { clipboard: true });
    const r = region(page, n);
    await r.getByRole('textbox', { name: n.landingUrl }).waitFor();
    assert.equal(await r.getByRole('combobox', { name: n.partner }).count(), 0, 'no Partner combobox for a partner');
    assert.equal(await page.getByRole('button', { name: n.assign }).count(), 0);
    const hint = await r.getByText(/acme\.test, \*\.acme\.test/).count();
    assert.equal(hint, 1, 'the permitted domains as hint');
    await r.getByRole('textbox', { name: n.landingUrl }).fill('https://shop.acme.test/p/1');
    await r.getByRole('button', { name: n.advanced }).click();
    await r.getByRole('textbox', { name: n.sub(2) }).fill('yt');
    await r.getByRole('button', { name: n.createLink }).click();
    const link = await r.getByRole('textbox', { name: n.trackingLink }).inputValue();
    const row = page.getByRole('table', { name: n.links }).getByRole('row', { name: new RegExp(link) });
    await row.waitFor();
    assert.equal(await row.getByRole('button', { name: n.disable }).count(), 0, 'a partner does not disable');
    await row.getByRole('button', { name: n.copy }).click();
    await page.getByRole('status').filter({ hasText: n.copied }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
    await checkA11y(page, 'task details (partner)');
    await shot(page, 'task-partner', lang);

    // brand_selected for the partner: the campaign's pages from their /me/tasks
    await page.goto(`${srv.base}/app/tasks/${selected.task.id}`);
    const pick = region(page, n).getByRole('combobox', { name: n.landingPage });
    await pick.selectOption({ label: 'Winter page — https://www.acme.test/winter' });
    await region(page, n).getByRole('button', { name: n.createLink }).click();
    assert.match(await region(page, n).getByRole('textbox', { name: n.trackingLink }).inputValue(), new RegExp(`^${srv.base}/\\w{7}$`));

    // the other partner's task details are not theirs
    assert.ok(other);
    const res = await page.evaluate(async (id) => {
      const r = await fetch(`/api/v1/tasks/${id}/links`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ landing_page_url: 'https://www.acme.test/' }),
      });
      return { status: r.status, body: await r.json() };
    }, choice.task.id);
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'csrf_invalid');
    assertNoProblems(problems);
    await context.close();
  });
}
