// login.test.mjs: Login (good → the Campaign Manager, or ?next=; bad → the
// alert with invalid_credentials), the Language / 言語 switch (keeps the
// route and the inputs, sets <html lang>, is remembered), the shell
// (banner, navigation, skip link, one h1 focused, the title), and Sign out
// (the session ends on the server: the old cookie gets 401).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, N, assertNoProblems, checkA11y, launchBrowser, openPage, shot, signIn, startServer,
} from './lib/harness.mjs';

let srv;
let browser;
let brand;
before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  brand = await srv.newBrand({ name: 'Acme Japan' });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

for (const lang of LANGS) {
  const n = N(lang);

  test(`login: bad credentials show the alert with invalid_credentials [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await page.goto(`${srv.base}/`);
    await page.waitForURL(/\/app\/login/);
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: n.signInTitle }).waitFor());
    assert.equal(await page.title(), `${n.signInTitle} · tracklink`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    await checkA11y(page, 'login');
    await shot(page, 'login', lang);
    await page.getByLabel(n.email).fill(brand.email);
    await page.getByLabel(n.password).fill('not the password');
    await page.getByRole('button', { name: n.signIn }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /\(invalid_credentials\)$/);
    assert.equal(await page.locator('[role="alert"]').count(), 1);
    assert.equal(await page.locator('[aria-invalid="true"]').count(), 0, 'no field error as well');
    assert.ok(page.url().includes('/app/login'));
    await checkA11y(page, 'login with the alert');
    await shot(page, 'login-failed', lang);
    assertNoProblems(problems);
    await context.close();
  });

  test(`login: good credentials land on the Campaign Manager, the shell is there [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/app/campaigns?status=active');
    const h1 = page.getByRole('heading', { level: 1, name: n.campaignManager });
    await h1.waitFor();
    assert.equal(await page.locator('h1').count(), 1);
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'the h1 has the focus');
    assert.equal(await page.title(), `${n.campaignManager} · tracklink`);
    const banner = page.getByRole('banner');
    assert.match(await banner.innerText(), /tracklink/);
    assert.match(await banner.innerText(), /Acme Japan/);
    await banner.getByRole('combobox', { name: n.language }).waitFor();
    await banner.getByRole('button', { name: n.signOut }).waitFor();
    const nav = page.getByRole('navigation', { name: n.main });
    await nav.getByRole('heading', { name: n.engage }).waitFor();
    for (const name of [n.campaignManager, n.programs, n.links, n.reports, n.conversions]) {
      await nav.getByRole('link', { name, exact: true }).waitFor();
    }
    assert.equal(await nav.getByRole('link', { name: n.campaignManager }).getAttribute('aria-current'), 'page');
    // the skip link is the first thing Tab reaches, and leads to main
    const first = await page.evaluate(() => {
      const el = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
        .find((e) => e.tabIndex >= 0 && !e.disabled);
      return el && el.textContent;
    });
    assert.equal(first, n.skip);
    await page.getByRole('link', { name: n.skip }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement.id === 'main');
    // a client-side navigation moves the focus to the new h1
    await nav.getByRole('link', { name: n.programs, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: n.programs }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent), n.programs);
    await page.goBack();
    await h1.waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  test(`login: ?next= is where a signed-out visitor returns [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await page.goto(`${srv.base}/app/campaigns?status=draft`);
    await page.waitForURL(/\/app\/login\?next=/);
    assert.equal(new URL(page.url()).searchParams.get('next'), '/app/campaigns?status=draft');
    await page.getByLabel(n.email).fill(brand.email);
    await page.getByLabel(n.password).fill(brand.password);
    await page.getByRole('button', { name: n.signIn }).click();
    await page.waitForURL((u) => u.pathname === '/app/campaigns' && u.search === '?status=draft');
    assert.equal(await page.getByRole('tab', { name: n.draft }).getAttribute('aria-selected'), 'true');
    assertNoProblems(problems);
    await context.close();
  });
}

test('language: the switch keeps the page and the inputs, sets <html lang>, and is remembered', async () => {
  const { context, page, problems } = await openPage(browser, 'en');
  await page.goto(`${srv.base}/app/login?next=%2Fapp%2Fcampaigns%3Fstatus%3Dpaused`);
  await page.getByLabel('Email').fill('someone@acme.test');
  await page.getByLabel('Password').fill('typed so far');
  const url = page.url();
  await page.getByRole('combobox', { name: 'Language / 言語' }).selectOption({ label: '日本語' });
  await page.getByRole('heading', { level: 1, name: 'ログイン' }).waitFor();
  assert.equal(page.url(), url);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');
  assert.equal(await page.getByLabel('メールアドレス').inputValue(), 'someone@acme.test');
  assert.equal(await page.getByLabel('パスワード').inputValue(), 'typed so far');
  assert.equal(await page.title(), 'ログイン · tracklink');
  // the choice outlives a reload, whatever the browser's languages say
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'ログイン' }).waitFor();
  // signed in, the switch keeps the screen and its state too
  await page.getByLabel('メールアドレス').fill(brand.email);
  await page.getByLabel('パスワード').fill(brand.password);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL((u) => u.search === '?status=paused');
  await page.getByRole('combobox', { name: 'Language / 言語' }).selectOption({ label: 'English' });
  await page.getByRole('heading', { level: 1, name: 'Campaign Manager' }).waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Paused' }).getAttribute('aria-selected'), 'true');
  assert.ok(page.url().endsWith('/app/campaigns?status=paused'));
  assertNoProblems(problems);
  await context.close();
});

for (const lang of LANGS) {
  const n = N(lang);
  test(`sign out ends the session on the server [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang);
    await page.getByRole('heading', { level: 1, name: n.campaignManager }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'tl_session');
    assert.ok(cookie, 'the session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    const before = await fetch(`${srv.base}/api/v1/session`, { headers: { Cookie: `tl_session=${cookie.value}` } });
    assert.equal(before.status, 200);
    await page.getByRole('button', { name: n.signOut }).click();
    await page.waitForURL(/\/app\/login$/);
    await page.getByRole('heading', { level: 1, name: n.signInTitle }).waitFor();
    const afterOut = await fetch(`${srv.base}/api/v1/session`, { headers: { Cookie: `tl_session=${cookie.value}` } });
    assert.equal(afterOut.status, 401, 'the old cookie no longer works');
    // and the UI is signed out: a screen sends to the login page
    await page.goto(`${srv.base}/app/campaigns?status=active`);
    await page.waitForURL(/\/app\/login\?next=/);
    assertNoProblems(problems);
    await context.close();
  });
}
