// campaign_new.test.mjs: Create campaign with each of the three
// tracking-link settings (the Landing pages group only in the second),
// both payouts, the result as GET /api/v1/campaigns/{id} shows it, and
// errors at their field as "message (code)" with the focus on it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LANGS, N, assertNoProblems, checkA11y, launchBrowser, newProgram, openPage, shot, signIn,
  startServer,
} from './lib/harness.mjs';

let srv;
let browser;
let brand;
let program;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  brand = await srv.newBrand({ name: 'Acme Japan' });
  program = await newProgram(srv.api(brand.key), { name: 'Acme JP', currency: 'JPY' });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function openForm(page, n) {
  await page.getByRole('button', { name: n.createCampaign }).click();
  await page.waitForURL((u) => u.pathname === '/app/campaigns/new');
  await page.getByRole('heading', { level: 1, name: n.createCampaign }).waitFor();
  await page.getByRole('textbox', { name: n.campaignName }).waitFor();
}

async function describedBy(loc) {
  return loc.evaluate((el) => (el.getAttribute('aria-describedby') || '').split(' ')
    .map((id) => document.getElementById(id)?.textContent || '').join(' | '));
}

const MODES = ['partner_choice', 'brand_selected', 'program_default'];

for (const lang of LANGS) {
  const n = N(lang);

  for (const mode of MODES) {
    test(`Create campaign, ${mode} [${lang}]`, async () => {
      const { context, page, problems } = await openPage(browser, lang);
      await signIn(page, srv, brand, lang);
      await openForm(page, n);
      const name = `${mode} ${lang} ${Date.now()}`;
      await page.getByRole('textbox', { name: n.campaignName }).fill(name);
      assert.equal(await page.getByRole('combobox', { name: n.program }).inputValue(), String(program.id));
      const status = page.getByRole('combobox', { name: n.status });
      assert.equal(await status.inputValue(), 'draft', 'Draft by default');
      await status.selectOption('active');
      const tracking = page.getByRole('checkbox', { name: n.tracking });
      assert.equal(await tracking.isChecked(), true);
      const group = page.getByRole('radiogroup', { name: n.trackingLinkSetting });
      await group.getByRole('radio', { name: n.modes[mode] }).check();
      const payout = page.getByRole('radiogroup', { name: n.payout });
      if (mode === 'program_default') {
        await payout.getByRole('radio', { name: n.percent }).check();
        await page.getByRole('textbox', { name: n.rate }).fill('12.5');
      } else {
        await payout.getByRole('radio', { name: n.fixed }).check();
        await page.getByRole('textbox', { name: n.amount }).fill('1,999');
      }
      const pages = page.getByRole('group', { name: n.landingPages });
      if (mode === 'brand_selected') {
        await pages.waitFor();
        await pages.getByRole('checkbox', { name: /Winter page/ }).waitFor();
        await pages.getByRole('checkbox', { name: /Spring page/ }).waitFor();
        // none chosen: the server's refusal shows at the group
        await page.getByRole('button', { name: n.createCampaign }).click();
        const first = pages.getByRole('checkbox', { name: /Winter page/ });
        await page.waitForFunction(() => document.querySelector('[aria-invalid="true"]'));
        assert.equal(await first.getAttribute('aria-invalid'), 'true');
        assert.match(await describedBy(first), /\(missing_field\)/);
        assert.ok(await first.evaluate((el) => el === document.activeElement), 'focus on the group');
        assert.equal(await page.getByRole('alert').count(), 0, 'never both');
        await checkA11y(page, 'Create campaign, landing pages refused');
        await shot(page, 'campaign-new-pages-error', lang);
        await first.check();
      } else {
        assert.equal(await pages.count(), 0, 'no Landing pages group in this mode');
      }
      if (mode === 'partner_choice') {
        await checkA11y(page, 'Create campaign');
        await shot(page, 'campaign-new', lang);
      }
      await page.getByRole('button', { name: n.createCampaign }).click();
      await page.waitForURL((u) => u.pathname === '/app/campaigns' && u.searchParams.get('status') === 'active');
      await page.getByRole('row', { name: new RegExp(name) }).waitFor();
      await page.getByRole('status').filter({ hasText: /./ }).waitFor();

      const list = await srv.api(brand.key).get('/campaigns?status=active&limit=500');
      const c = list.data.find((x) => x.name === name);
      assert.ok(c, 'the campaign exists');
      assert.equal(c.program_id, program.id);
      assert.equal(c.tracking.enabled, true);
      assert.equal(c.tracking.landing_page_mode, mode);
      assert.deepEqual(c.tracking.landing_page_ids, mode === 'brand_selected' ? [program.pages[0].id] : []);
      assert.deepEqual(c.payout, mode === 'program_default'
        ? { type: 'percent', rate_bp: 1250 } : { type: 'fixed', amount: 1999 });
      assertNoProblems(problems);
      await context.close();
    });
  }

  test(`Create campaign: errors at their field, focus on the first [${lang}]`, async () => {
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, brand, lang);
    await openForm(page, n);
    const nameBox = page.getByRole('textbox', { name: n.campaignName });
    await page.getByRole('button', { name: n.createCampaign }).click();
    await page.waitForFunction(() => document.querySelector('[aria-invalid="true"]'));
    assert.equal(await nameBox.getAttribute('aria-invalid'), 'true');
    assert.match(await describedBy(nameBox), /\(missing_field\)$/);
    assert.ok(await nameBox.evaluate((el) => el === document.activeElement));
    // an amount JPY cannot have
    await nameBox.fill('Decimal yen');
    await page.getByRole('textbox', { name: n.amount }).fill('19.99');
    await page.getByRole('button', { name: n.createCampaign }).click();
    const amount = page.getByRole('textbox', { name: n.amount });
    await page.waitForFunction(() => document.querySelector('#cn-amount[aria-invalid="true"]'));
    assert.equal(await nameBox.getAttribute('aria-invalid'), null);
    assert.match(await describedBy(amount), /\(invalid_value\)/);
    assert.ok(await amount.evaluate((el) => el === document.activeElement));
    // the switch keeps what was typed, and says the error in the other language
    const other = lang === 'en' ? '日本語' : 'English';
    await page.getByRole('combobox', { name: 'Language / 言語' }).selectOption({ label: other });
    await page.getByRole('heading', { level: 1, name: N(lang === 'en' ? 'ja' : 'en').createCampaign }).waitFor();
    assert.equal(await page.locator('#cn-name').inputValue(), 'Decimal yen');
    assert.equal(await page.locator('#cn-amount').inputValue(), '19.99');
    assert.match(await describedBy(page.locator('#cn-amount')), /\(invalid_value\)/);
    // Cancel goes back to the Campaign Manager
    await page.getByRole('button', { name: N(lang === 'en' ? 'ja' : 'en').cancel }).click();
    await page.waitForURL((u) => u.pathname === '/app/campaigns');
    assertNoProblems(problems);
    await context.close();
  });
}
