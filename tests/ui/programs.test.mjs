// programs.test.mjs: Programs (brand): Create program (a refused default
// landing page shown at its field with its code; then the new program
// listed, its postback key shown once with Copy); one program's page:
// its settings edited (default landing page and permitted domains, read
// back through GET /api/v1/programs/{id}), Add landing page (a page off
// the permitted domains refused at its field), Add partner (an unknown
// partner ID refused at its field), and Rotate key (confirmed; the old key
// is then refused by GET /postback and the new one records a conversion).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, N, assertNoProblems, checkA11y, launchBrowser, newProgram, openPage, shot, signIn, startServer,
} from './lib/harness.mjs';
import { click, world } from './lib/traffic.mjs';

// The names of UI.md for Programs (and the UI's own, marked "ours").
const PNAMES = {
  en: {
    programs: 'Programs', create: 'Create program', name: 'Name', defaultPage: 'Default landing page',
    domains: 'Permitted domains', clickId: 'Click ID parameter', window: 'Referral window (days)',
    currency: 'Currency', save: 'Save', addPage: 'Add landing page', addPartner: 'Add partner',
    partnerId: 'Partner ID', rotate: 'Rotate key', copy: 'Copy', copied: 'Copied to clipboard',
    breadcrumb: 'Breadcrumb',
    // ours
    table: 'Programs', pages: 'Landing pages', partners: 'Partners', url: 'URL', key: 'Postback key',
    done: 'Done', cancel: 'Cancel',
  },
  ja: {
    programs: 'プログラム', create: 'プログラムを作成', name: '名前', defaultPage: 'デフォルトのランディングページ',
    domains: '許可ドメイン', clickId: 'クリックIDパラメータ', window: '紹介期間（日）',
    currency: '通貨', save: '保存', addPage: 'ランディングページを追加', addPartner: 'パートナーを追加',
    partnerId: 'パートナーID', rotate: 'キーを再生成', copy: 'コピー', copied: 'クリップボードにコピーしました',
    breadcrumb: 'パンくずリスト',
    table: 'プログラム', pages: 'ランディングページ', partners: 'パートナー', url: 'URL', key: 'ポストバックキー',
    done: '完了', cancel: 'キャンセル',
  },
};

let srv;
let browser;
const who = {};

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  for (const lang of LANGS) {
    who[lang] = {
      brand: await srv.newBrand({ name: `Acme ${lang}` }),
      partner: await srv.newPartner({ name: `Sakura ${lang}` }),
    };
  }
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

// The field's error text ("message (code)") through aria-describedby.
async function fieldError(locator) {
  assert.equal(await locator.getAttribute('aria-invalid'), 'true');
  const ids = (await locator.getAttribute('aria-describedby')).split(' ');
  const texts = await Promise.all(ids.map((id) => locator.page().locator(`[id="${id}"]`).innerText()));
  return texts.find((s) => /\(\w+\)$/.test(s)) || '';
}

async function noSidewaysScroll(page) {
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll at 360 px');
}

function postback(key, clickId, orderId) {
  const q = new URLSearchParams({ key, click_id: clickId, order_id: orderId, amount: '1999', currency: 'JPY', event_type: 'sale' });
  return fetch(`${srv.base}/postback?${q}`).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));
}

for (const lang of LANGS) {
  const p = PNAMES[lang];
  const n = N(lang);

  test(`Create program: a refused default landing page at its field, then listed with its key shown once [${lang}]`, async () => {
    const { brand } = who[lang];
    const api = srv.api(brand.key);
    const { context, page, problems } = await openPage(browser, lang);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
    await signIn(page, srv, brand, lang);
    await page.getByRole('navigation', { name: n.main }).getByRole('link', { name: n.programs }).click();
    await page.getByRole('heading', { level: 1, name: p.programs }).waitFor();
    await page.waitForFunction((t) => document.title === t, `${p.programs} · tracklink`);
    // empty: the next step is said
    await page.locator('.empty').filter({ hasText: p.create }).waitFor();
    assert.equal(await page.locator('h1').count(), 1);
    await checkA11y(page, 'Programs, empty');
    await shot(page, 'programs-empty', lang);

    await page.getByRole('button', { name: p.create }).click();
    const dialog = page.getByRole('dialog', { name: p.create });
    await dialog.waitFor();
    assert.equal(await dialog.getByRole('textbox', { name: p.clickId }).inputValue(), 'clickid');
    assert.equal(await dialog.getByRole('textbox', { name: p.window }).inputValue(), '30');
    await dialog.getByRole('textbox', { name: p.name, exact: true }).fill(`Winter ${lang}`);
    const dflt = dialog.getByRole('textbox', { name: p.defaultPage });
    await dflt.fill('https://shop.elsewhere.test/');
    await dialog.getByRole('textbox', { name: p.domains }).fill('acme.test\n*.acme.test');
    await dialog.getByRole('textbox', { name: p.window }).fill('45');
    await dialog.getByRole('textbox', { name: p.currency }).fill('jpy');
    await dialog.getByRole('button', { name: p.create }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
    assert.match(await fieldError(dflt), /\(landing_page_not_permitted\)$/);
    assert.equal(await dflt.evaluate((e) => e === document.activeElement), true, 'the focus is on the invalid field');
    assert.equal(await page.locator('[role="alert"]').count(), 0, 'at the field, not in an alert');
    await checkA11y(page, 'Create program, field error');
    await shot(page, 'programs-create-error', lang);

    await dflt.fill('https://www.acme.test/');
    await dialog.getByRole('button', { name: p.create }).click();
    const keyBox = dialog.getByRole('textbox', { name: p.key });
    await keyBox.waitFor();
    assert.equal(await keyBox.evaluate((e) => e.readOnly), true);
    const key = await keyBox.inputValue();
    const created = (await api.get('/programs')).data.find((x) => x.name === `Winter ${lang}`);
    assert.ok(created, 'the program is in GET /programs');
    assert.equal(key, created.postback_key);
    assert.deepEqual(
      [created.default_landing_page, created.permitted_domains, created.referral_window_days, created.currency, created.click_id_param],
      ['https://www.acme.test/', ['acme.test', '*.acme.test'], 45, 'JPY', 'clickid']);
    await dialog.getByRole('button', { name: p.copy }).click();
    await page.getByRole('status').filter({ hasText: p.copied }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await checkA11y(page, 'Create program, new key');
    await shot(page, 'programs-new-key', lang);
    await dialog.getByRole('button', { name: p.done }).click();
    await dialog.waitFor({ state: 'hidden' });
    // the focus returns to the button that opened the dialog
    await page.waitForFunction((name) => document.activeElement?.textContent === name, p.create);

    const table = page.getByRole('table', { name: p.table });
    const row = table.getByRole('row', { name: new RegExp(`Winter ${lang}`) });
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /JPY/);
    assert.match(text, /45/);
    assert.match(text, /www\.acme\.test/);
    assert.ok(!(await page.content()).includes(key), 'the key is not on the page any more');
    await checkA11y(page, 'Programs');
    await shot(page, 'programs', lang);
    await page.setViewportSize({ width: 360, height: 740 });
    await noSidewaysScroll(page);
    await shot(page, 'programs-360', lang);
    assertNoProblems(problems);
    await context.close();
  });

  test(`A program: edit the default landing page and domains; add a landing page and a partner [${lang}]`, async () => {
    const { brand, partner } = who[lang];
    const api = srv.api(brand.key);
    const prog = await newProgram(api, { name: `Spring ${lang}`, pages: false });
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang, { next: '/app/programs' });
    await page.getByRole('table', { name: p.table }).getByRole('link', { name: `Spring ${lang}` }).click();
    await page.getByRole('heading', { level: 1, name: `Spring ${lang}` }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1', null, { timeout: 15000 });
    assert.equal(new URL(page.url()).pathname, `/app/programs/${prog.id}`);
    await page.getByRole('navigation', { name: p.breadcrumb }).getByRole('link', { name: p.programs }).waitFor();
    assert.equal(await page.locator('h1').count(), 1);
    // empty lists say what to do
    await page.locator('.empty').filter({ hasText: p.addPage }).waitFor();
    await page.locator('.empty').filter({ hasText: p.addPartner }).waitFor();

    // settings: a window the browser refuses, then one the server refuses, each at its field
    const windowBox = page.getByRole('textbox', { name: p.window });
    await windowBox.fill('two weeks');
    await page.getByRole('button', { name: p.save }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
    assert.match(await fieldError(windowBox), /\(invalid_value\)$/);
    await windowBox.fill('0');
    const patched = page.waitForResponse((res) => res.request().method() === 'PATCH');
    await page.getByRole('button', { name: p.save }).click();
    assert.equal((await patched).status(), 422);
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
    assert.match(await fieldError(windowBox), /\(invalid_value\)$/);
    assert.equal((await api.get(`/programs/${prog.id}`)).referral_window_days, 30);
    await windowBox.fill('30');

    // a default landing page off the new domains is refused at its field
    const dflt = page.getByRole('textbox', { name: p.defaultPage });
    const domains = page.getByRole('textbox', { name: p.domains });
    assert.equal(await dflt.inputValue(), 'https://www.acme.test/');
    assert.equal(await domains.inputValue(), 'acme.test\n*.acme.test');
    await domains.fill('acme-shop.test');
    await page.getByRole('button', { name: p.save }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
    assert.match(await fieldError(dflt), /\(landing_page_not_permitted\)$/);
    await checkA11y(page, 'Program, field error');
    await dflt.fill('https://acme-shop.test/start');
    await domains.fill('acme.test\n*.acme.test\nacme-shop.test');
    await page.getByRole('button', { name: p.save }).click();
    await page.getByRole('status').filter({ hasText: `Spring ${lang}` }).waitFor();
    const saved = await api.get(`/programs/${prog.id}`);
    assert.equal(saved.default_landing_page, 'https://acme-shop.test/start');
    assert.deepEqual(saved.permitted_domains, ['acme.test', '*.acme.test', 'acme-shop.test']);
    assert.equal(await dflt.getAttribute('aria-invalid'), null);

    // a landing page: off the permitted domains at its field, then added
    await page.getByRole('button', { name: p.addPage }).click();
    let dialog = page.getByRole('dialog', { name: p.addPage });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: p.name, exact: true }).fill('Summer page');
    const url = dialog.getByRole('textbox', { name: p.url });
    await url.fill('https://elsewhere.test/summer');
    await dialog.getByRole('button', { name: p.addPage }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
    assert.match(await fieldError(url), /\(landing_page_not_permitted\)$/);
    assert.equal(await dialog.getByRole('alert').count(), 0);
    await checkA11y(page, 'Add landing page, field error');
    await shot(page, 'program-page-error', lang);
    await url.fill('https://www.acme.test/summer');
    await dialog.getByRole('button', { name: p.addPage }).click();
    await dialog.waitFor({ state: 'hidden' });
    const pages = page.getByRole('table', { name: p.pages });
    await pages.getByRole('row', { name: /Summer page/ }).waitFor();
    assert.match(await pages.getByRole('row', { name: /Summer page/ }).innerText(), /https:\/\/www\.acme\.test\/summer/);
    assert.deepEqual((await api.get(`/programs/${prog.id}/landing-pages`)).data.map((x) => [x.name, x.url]),
      [['Summer page', 'https://www.acme.test/summer']]);
    // the same by keyboard only: the focus starts in the dialog's first field
    await page.getByRole('button', { name: p.addPage }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.type('Autumn page');
    await page.keyboard.press('Tab');
    await page.keyboard.type('https://www.acme.test/autumn');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await pages.getByRole('row', { name: /Autumn page/ }).waitFor();
    await page.waitForFunction((name) => document.activeElement?.textContent === name, p.addPage);

    // a partner: an unknown ID at its field, then added (by keyboard)
    await page.getByRole('button', { name: p.addPartner }).click();
    dialog = page.getByRole('dialog', { name: p.addPartner });
    const pid = dialog.getByRole('textbox', { name: p.partnerId });
    await pid.fill('987654');
    await pid.press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
    assert.match(await fieldError(pid), /\(not_found\)$/);
    await pid.fill(String(partner.id));
    await pid.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    const partners = page.getByRole('table', { name: p.partners });
    await partners.getByRole('row', { name: new RegExp(partner.name) }).waitFor();
    assert.deepEqual((await api.get(`/programs/${prog.id}/partners`)).data.map((m) => m.partner_id), [partner.id]);

    // a landing page left off the permitted domains says so, in words
    const summer = pages.getByRole('row', { name: /Summer page/ });
    const offDomain = lang === 'ja' ? '許可ドメイン外' : 'Not on a permitted domain';
    assert.ok(!(await summer.innerText()).includes(offDomain));
    await domains.fill('acme-shop.test');
    await page.getByRole('button', { name: p.save }).click();
    await summer.filter({ hasText: offDomain }).waitFor();
    assert.deepEqual((await api.get(`/programs/${prog.id}`)).permitted_domains, ['acme-shop.test']);

    await checkA11y(page, 'Program');
    await shot(page, 'program', lang);
    await page.emulateMedia({ colorScheme: 'dark' });
    await checkA11y(page, 'Program, dark');
    await shot(page, 'program-dark', lang);
    await page.setViewportSize({ width: 360, height: 740 });
    await checkA11y(page, 'Program, 360 px');
    await noSidewaysScroll(page);
    await shot(page, 'program-360', lang);
    assertNoProblems(problems);
    await context.close();
  });

  test(`Rotate key: confirmed; the old key is refused by GET /postback, the new one works [${lang}]`, async () => {
    const { brand, partner } = who[lang];
    const w = await world(srv, brand, partner, { name: `Rotate ${lang}`, currency: 'JPY' });
    const cid = await click(srv, w.link.code, { ua: `Mozilla/5.0 Chrome/124.0 rotate-${lang}`, brandKey: brand.key });
    const old = w.program.postback_key;
    const { context, page, problems } = await openPage(browser, lang);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
    await signIn(page, srv, brand, lang, { next: `/app/programs/${w.program.id}` });
    await page.getByRole('heading', { level: 1, name: w.program.name }).waitFor();
    assert.ok(!(await page.content()).includes(old), 'only the start of the key is shown');
    assert.ok((await page.content()).includes(old.slice(0, 8)));

    // a cancelled confirm changes nothing
    const rotate = page.getByRole('button', { name: p.rotate });
    await rotate.click();
    let dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: p.cancel }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await srv.api(brand.key).get(`/programs/${w.program.id}`)).postback_key, old);

    await rotate.click();
    dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await checkA11y(page, 'Rotate key, confirm');
    await dialog.getByRole('button', { name: p.rotate }).click();
    const keyBox = dialog.getByRole('textbox', { name: p.key });
    await keyBox.waitFor();
    const fresh = await keyBox.inputValue();
    assert.match(fresh, /^pbk_/);
    assert.notEqual(fresh, old);
    assert.equal((await srv.api(brand.key).get(`/programs/${w.program.id}`)).postback_key, fresh);
    await dialog.getByRole('button', { name: p.copy }).click();
    await page.getByRole('status').filter({ hasText: p.copied }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), fresh);
    await checkA11y(page, 'Rotate key, new key');
    await shot(page, 'program-rotated', lang);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction((name) => document.activeElement?.textContent === name, p.rotate);
    assert.ok(!(await page.content()).includes(fresh), 'the new key is not on the page once closed');
    assert.ok((await page.content()).includes(fresh.slice(0, 8)), 'the page shows the new key\'s start');

    const refused = await postback(old, cid, `OLD-${lang}`);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    const ok = await postback(fresh, cid, `NEW-${lang}`);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.order_id, `NEW-${lang}`);
    assertNoProblems(problems);
    await context.close();
  });
}

test('a program of another brand, or no program at that id, is Program not found', async () => {
  const other = await srv.newBrand({ name: 'Other brand' });
  const theirs = await newProgram(srv.api(other.key), { name: 'Not yours', pages: false });
  const { context, page, problems } = await openPage(browser, 'en');
  await signIn(page, srv, who.en.brand, 'en', { next: `/app/programs/${theirs.id}` });
  await page.getByRole('heading', { level: 1, name: 'Program not found' }).waitFor();
  assert.ok(!(await page.content()).includes('Not yours'));
  await page.getByRole('link', { name: 'Back to Programs' }).click();
  await page.getByRole('heading', { level: 1, name: 'Programs' }).waitFor();
  await page.goto(`${srv.base}/app/programs/abc`);
  await page.getByRole('heading', { level: 1, name: 'Program not found' }).waitFor();
  assertNoProblems(problems);
  await context.close();
});
