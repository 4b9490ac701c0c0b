// settings.test.mjs: Settings, for a brand and for a partner: the table
// API keys; Create API key (the new key is shown once, in a readonly
// textbox; Copy puts it on the clipboard; it works against the API at
// once); Revoke (confirmed in a dialog; the key then gets 401 from the
// API); and 409 last_key shown as the dialog's alert with its code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, assertNoProblems, checkA11y, client, launchBrowser, openPage, shot, signIn, startServer,
} from './lib/harness.mjs';
import { RN } from './lib/names_reports.mjs';

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

async function keyRows(page, r) {
  const table = page.getByRole('table', { name: r.apiKeys });
  await table.waitFor();
  return table.locator('tbody th').allInnerTexts();
}

for (const lang of LANGS) {
  const r = RN(lang);

  for (const kind of ['brand', 'partner']) {
    test(`Settings (${kind}): create a key, shown once; Copy; revoke, then the key gets 401 [${lang}]`, async () => {
      const account = who[lang][kind];
      const { context, page, problems } = await openPage(browser, lang);
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
      await signIn(page, srv, account, lang);
      await page.getByRole('navigation').getByRole('link', { name: r.settings }).click();
      await page.getByRole('heading', { level: 1, name: r.settings }).waitFor();
      await page.waitForFunction((t) => document.title === t, `${r.settings} · tracklink`);
      assert.deepEqual(await keyRows(page, r), ['default']);
      const table = page.getByRole('table', { name: r.apiKeys });
      if (r.keyCols) assert.deepEqual((await table.locator('thead th').allInnerTexts()).slice(0, 4), r.keyCols);
      assert.match(await table.getByRole('row', { name: /default/ }).innerText(), /tlk_[\w-]{8}…/);

      // create: the dialog asks for the name, then shows the key this once
      await page.getByRole('button', { name: r.createKey }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await dialog.getByRole('textbox', { name: r.name }).fill('Shop checkout');
      await dialog.getByRole('button', { name: r.createKey }).click();
      const box = dialog.getByRole('textbox', { name: r.apiKey });
      await box.waitFor();
      assert.equal(await box.evaluate((e) => e.readOnly), true);
      const secret = await box.inputValue();
      assert.match(secret, /^tlk_[A-Za-z0-9_-]{43}$/);
      await dialog.getByRole('button', { name: r.copy }).click();
      await page.getByRole('status').filter({ hasText: r.copied }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
      await checkA11y(page, 'Settings, new key');
      await shot(page, `settings-new-key-${kind}`, lang);
      // the key works at once
      const k = client(srv.base, secret);
      assert.equal((await k.raw('GET', '/api-keys')).status, 200);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await table.getByRole('row', { name: /Shop checkout/ }).waitFor();
      assert.ok(!(await page.content()).includes(secret), 'the secret is not on the page any more');
      assert.match(await table.getByRole('row', { name: /Shop checkout/ }).innerText(), new RegExp(secret.slice(0, 12)));
      await checkA11y(page, 'Settings');
      await shot(page, `settings-${kind}`, lang);
      if (kind === 'brand') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await checkA11y(page, 'Settings, dark');
        await shot(page, 'settings-dark', lang);
        await page.setViewportSize({ width: 360, height: 740 });
        await checkA11y(page, 'settings-360');
        await shot(page, 'settings-360', lang);
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
        await page.setViewportSize({ width: 1280, height: 800 });
        await page.emulateMedia({ colorScheme: 'light' });
      }

      // revoke, confirmed: the key is refused from the next request on
      await table.getByRole('row', { name: /Shop checkout/ }).getByRole('button', { name: r.revoke }).click();
      const confirm = page.getByRole('dialog');
      await confirm.waitFor();
      assert.match(await confirm.getByRole('heading').innerText(), /Shop checkout/);
      await confirm.getByRole('button', { name: r.revoke }).click();
      await table.getByRole('row', { name: /Shop checkout/ }).waitFor({ state: 'detached' });
      const after = await k.raw('GET', '/api-keys');
      assert.equal(after.status, 401);
      assert.equal(after.body.code, 'unauthorized');
      assert.deepEqual(await keyRows(page, r), ['default']);
      assertNoProblems(problems);
      await context.close();
    });
  }

  test(`Settings: 409 last_key is the dialog's alert, with its code [${lang}]`, async () => {
    // An account with a login may revoke every key, so the server answers
    // last_key only to accounts without one: the answer is played here.
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, who[lang].brand, lang, { next: '/app/settings' });
    await page.route('**/api/v1/api-keys/*', (route) => route.fulfill({
      status: 409, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, code: 'last_key', detail: 'this is the account\'s last key' }),
    }));
    const table = page.getByRole('table', { name: r.apiKeys });
    await table.getByRole('row', { name: /default/ }).getByRole('button', { name: r.revoke }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: r.revoke }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /\(last_key\)$/);
    assert.equal(await page.locator('[role="alert"]').count(), 1);
    await checkA11y(page, 'Settings, last_key');
    await shot(page, 'settings-last-key', lang);
    await dialog.getByRole('button', { name: lang === 'ja' ? 'キャンセル' : 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await keyRows(page, r), ['default']);
    assert.equal((await client(srv.base, who[lang].brand.key).raw('GET', '/api-keys')).status, 200, 'the key still works');
    assertNoProblems(problems);
    await context.close();
  });
}
