// postback.test.mjs: Postback, a partner's: a refused URL shows at its
// field with the API's code; Save keeps the URL and the events chosen;
// the brand's conversions then reach a real receiver on loopback (the
// harness starts the server with TRACKLINK_ALLOW_PRIVATE_POSTBACKS=1),
// and the table Deliveries shows each delivery as GET /api/v1/me/postbacks
// does, only for the events chosen; a receiver that fails shows as a
// pending delivery with its last HTTP status.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import {
  LANGS, assertNoProblems, checkA11y, launchBrowser, openPage, shot, signIn, startServer,
} from './lib/harness.mjs';
import { RN } from './lib/names_reports.mjs';
import { click, convert, world } from './lib/traffic.mjs';

let srv;
let browser;
let brand;
let receiver;
const got = [];

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  brand = await srv.newBrand({ name: 'Acme Japan' });
  receiver = createServer((req, res) => {
    got.push(req.url);
    res.writeHead(req.url.startsWith('/fail') ? 500 : 200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await new Promise((ok) => receiver?.close(ok));
});

async function until(what, fn, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const lang of LANGS) {
  const r = RN(lang);

  test(`Postback: save the URL and events; the deliveries of the brand's conversions [${lang}]`, async () => {
    const partner = await srv.newPartner({ name: `Sakura ${lang}` });
    const w = await world(srv, brand, partner, { name: `Postback ${lang}` });
    const { context, page, problems } = await openPage(browser, lang);
    await signIn(page, srv, partner, lang);
    await page.getByRole('navigation').getByRole('link', { name: r.postback }).click();
    await page.getByRole('heading', { level: 1, name: r.postback }).waitFor();
    const url = page.getByRole('textbox', { name: r.postbackUrl });
    assert.equal(await url.inputValue(), '');
    const events = page.getByRole('group', { name: r.events });
    const boxes = events.getByRole('checkbox');
    assert.equal(await boxes.count(), 3);
    for (const ev of ['conversion.created', 'conversion.approved', 'conversion.reversed']) {
      assert.equal(await events.getByRole('checkbox', { name: ev, exact: true }).isChecked(), true, ev);
    }
    await page.getByRole('table', { name: r.deliveries }).count().then((n) => assert.equal(n, 0));
    await checkA11y(page, 'Postback, empty');

    // a URL the API refuses: at the field, with its code, and focused
    await url.fill('ftp://partner.example/pb');
    await page.getByRole('button', { name: r.save }).click();
    await page.waitForFunction(() => document.getElementById('pb-url')?.getAttribute('aria-invalid') === 'true');
    assert.match(await page.locator('#pb-url-error').innerText(), /\(invalid_value\)$/);
    await page.waitForFunction(() => document.activeElement?.id === 'pb-url'); // the first invalid field
    await shot(page, 'postback-error', lang);

    // save: created and reversed only
    const target = `http://127.0.0.1:${receiver.address().port}/ok?o={order_id}&s={status}`;
    await url.fill(target);
    await events.getByRole('checkbox', { name: 'conversion.approved', exact: true }).uncheck();
    await page.getByRole('button', { name: r.save }).click();
    await page.getByRole('status').filter({ hasText: lang === 'ja' ? 'ポストバックを保存しました' : 'Postback saved' }).waitFor();
    assert.equal(await page.locator('[aria-invalid="true"]').count(), 0);
    assert.deepEqual(await srv.api(partner.key).get('/me/postback').then((x) => [x.url, x.events]),
      [target, ['conversion.created', 'conversion.reversed']]);

    // the brand's conversion: created, approved (not subscribed), reversed
    const cid = await click(srv, w.link.code, { brandKey: brand.key });
    const order = `PB-${lang}-1`;
    const c = await convert(srv, brand, { click_id: cid, order_id: order, amount: 1999 });
    await srv.api(brand.key).patch(`/conversions/${c.id}`, { status: 'approved' });
    await srv.api(brand.key).patch(`/conversions/${c.id}`, { status: 'reversed', reason: 'returned' });
    await until('both deliveries', async () => got.filter((u) => u.includes(`o=${order}`)).length >= 2);
    assert.deepEqual(got.filter((u) => u.includes(`o=${order}`)).sort(),
      [`/ok?o=${order}&s=pending`, `/ok?o=${order}&s=reversed`]);
    const api = await until('delivered', async () => {
      const d = (await srv.api(partner.key).get('/me/postbacks')).data;
      return d.length === 2 && d.every((x) => x.status === 'delivered') ? d : null;
    });

    const table = page.getByRole('table', { name: r.deliveries });
    await until('the Deliveries table', async () => {
      await page.getByRole('button', { name: lang === 'ja' ? '更新' : 'Refresh' }).click();
      await page.waitForFunction(() => !document.querySelector('[aria-labelledby="pb-deliveries"] [aria-busy="true"]'));
      return (await table.count()) === 1 && (await table.locator('tbody tr').count()) === 2;
    });
    const rows = await table.locator('tbody tr').allInnerTexts();
    // newest first, as GET /me/postbacks?order=desc
    assert.deepEqual(api.map((d) => d.event), ['conversion.created', 'conversion.reversed']);
    assert.deepEqual(await table.locator('tbody th').allInnerTexts(), api.map((d) => d.event).reverse());
    assert.deepEqual((await srv.api(partner.key).get('/me/postbacks?order=desc')).data.map((d) => d.id),
      api.map((d) => d.id).reverse());
    for (const row of rows) {
      assert.match(row, new RegExp(lang === 'ja' ? '配信済み' : 'Delivered'));
      assert.match(row, /\b200\b/);
    }
    assert.ok(rows[0].includes(`o=${order}&s=reversed`), rows[0]);
    assert.ok(rows[1].includes(`o=${order}&s=pending`), rows[1]);
    await checkA11y(page, 'Postback');
    await shot(page, 'postback', lang);
    await page.emulateMedia({ colorScheme: 'dark' });
    await checkA11y(page, 'Postback, dark');
    await shot(page, 'postback-dark', lang);
    await page.emulateMedia({ colorScheme: 'light' });

    // a receiver that fails: the delivery stays pending, with its last status
    const failing = `http://127.0.0.1:${receiver.address().port}/fail?o={order_id}`;
    await url.fill(failing);
    await page.getByRole('button', { name: r.save }).click();
    await until('saved', async () => (await srv.api(partner.key).get('/me/postback')).url === failing);
    const cid2 = await click(srv, w.link.code, { ua: 'Mozilla/5.0 Chrome/124.0 second', brandKey: brand.key });
    await convert(srv, brand, { click_id: cid2, order_id: `PB-${lang}-2`, amount: 500 });
    await until('an attempt', async () => (await srv.api(partner.key).get('/me/postbacks?status=pending')).data
      .some((d) => d.last_status === 500));
    await page.getByRole('combobox', { name: lang === 'ja' ? '配信ステータス' : 'Delivery status' }).selectOption('pending');
    const pendingRow = table.getByRole('row', { name: /fail/ });
    await pendingRow.waitFor();
    assert.match(await pendingRow.innerText(), /500/);
    assert.match(await pendingRow.innerText(), new RegExp(lang === 'ja' ? '送信待ち' : 'Pending'));
    assert.equal(await table.locator('tbody tr').count(), 1);
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await pendingRow.waitFor();
    await checkA11y(page, 'postback-360');
    await shot(page, 'postback-360', lang);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'no sideways scroll');
    assertNoProblems(problems);
    await context.close();
  });
}
