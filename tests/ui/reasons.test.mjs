// reasons.test.mjs: the Rejected tab's sentences (web/src/rejected.mjs,
// reason()) for every code the API records (docs/api.md "Rejected
// conversions"), in English and Japanese, from facts shaped as the API
// sends them: each is the page's own sentence (never the server's English
// detail), carries the figures, and leaves no {placeholder} unfilled. The
// browser test (conversions.test.mjs) shows real refusals on the page.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';

let reason;
let setLang;

before(async () => {
  // the module runs in the browser; it needs only these of the page here
  globalThis.document = { documentElement: {} };
  globalThis.navigator = globalThis.navigator || { languages: ['en'] };
  ({ reason } = await import('../../web/src/rejected.mjs'));
  ({ setLang } = await import('../../web/src/lib/i18n.mjs'));
});

const base = { detail: 'THE SERVER DETAIL', order_id: 'A-1', click_id: '0Mx', field: null, amount: 1999, facts: {} };
const CASES = [
  [{ code: 'outside_referral_window', field: 'occurred_at', facts: { click_at: '2026-10-28T20:00:00Z', occurred_at: '2026-11-28T21:00:00Z', click_age_seconds: 2682000, click_age_days: 31.05, referral_window_days: 30 } },
    { en: ['31.05 days', '30 days'], ja: ['31.05日', '30日'] }],
  [{ code: 'outside_referral_window', field: 'occurred_at', facts: { click_at: '2026-10-28T20:00:00Z', occurred_at: '2026-10-28T17:00:00Z', click_age_seconds: -10800, click_age_days: -0.13, referral_window_days: 30 } },
    { en: ['3 hours', '1 hour'], ja: ['3時間', '1時間'] }],
  [{ code: 'outside_referral_window', field: 'occurred_at', facts: { click_at: '2026-10-28T20:00:00Z', occurred_at: '2026-12-28T20:00:00Z', click_age_seconds: 5184000, click_age_days: 60, referral_window_days: 7 } },
    { en: ['60 days', '7 days'], ja: ['60日', '7日'] }],
  [{ code: 'click_not_found', field: 'click_id' }, { en: ['click ID'], ja: ['クリックID'] }],
  [{ code: 'duplicate_order', field: 'order_id', facts: { conversion_id: 42, conversion_amount: 1999, conversion_currency: 'JPY', conversion_click_id: '0Mx', conversion_created_at: '2026-11-28T21:00:00Z', differs: ['amount', 'click_id'] } },
    { en: ['A-1', '#42', '¥1,999', 'amount and click ID'], ja: ['A-1', '#42', '1,999', '金額', 'クリックID'] }],
  [{ code: 'currency_mismatch', field: 'currency', facts: { currency_sent: 'EUR', program_currency: 'JPY', currency_known: true } },
    { en: ['EUR', 'JPY'], ja: ['EUR', 'JPY'] }],
  [{ code: 'currency_mismatch', field: 'currency', facts: { currency_sent: 'usd', program_currency: 'JPY', currency_known: false } },
    { en: ['usd is not a currency code', 'JPY'], ja: ['usd は通貨コードではありません', 'JPY'] }],
  [{ code: 'invalid_amount', field: 'amount', facts: { amount_sent: '12.5' } }, { en: ['12.5'], ja: ['12.5'] }],
  [{ code: 'campaign_not_trackable', facts: { campaign_id: 7 } }, { en: ['Winter sale'], ja: ['Winter sale'] }],
  [{ code: 'missing_field', field: 'order_id' }, { en: ['order_id'], ja: ['order_id'] }],
  [{ code: 'invalid_value', field: 'order_id' }, { en: ['255 bytes'], ja: ['255バイト'] }],
  [{ code: 'invalid_value', field: 'event_type' }, { en: ['64 characters'], ja: ['64文字'] }],
  [{ code: 'invalid_value', field: 'occurred_at' }, { en: ['RFC 3339'], ja: ['RFC 3339'] }],
  [{ code: 'invalid_value', field: 'click_id' }, { en: ['click_id'], ja: ['click_id'] }],
  [{ code: 'invalid_type', field: 'amount' }, { en: ['amount'], ja: ['amount'] }],
];
const names = { campaign: (id) => (id === 7 ? 'Winter sale' : undefined) };

for (const lang of ['en', 'ja']) {
  test(`every recorded code has its own sentence with its figures, and what to do [${lang}]`, async () => {
    await setLang(lang, false);
    for (const [x, want] of CASES) {
      const r = reason({ ...base, ...x }, names);
      const label = `${x.code}/${x.field}`;
      assert.ok(!r.why.includes('THE SERVER DETAIL'), `${label}: the page's own sentence`);
      assert.ok(r.todo && r.todo.length > 10, `${label}: what to do`);
      for (const s of [r.why, r.todo]) assert.ok(!/\{\w+\}/.test(s), `${label}: no unfilled placeholder in "${s}"`);
      for (const fig of want[lang]) assert.ok(`${r.why} ${r.todo}`.includes(fig), `${label}: "${fig}" in "${r.why}"`);
      if (lang === 'ja') assert.ok(/[ぁ-んァ-ン一-龯]/.test(r.why), `${label}: in Japanese`);
    }
  });
}

test('a code the page does not know falls back to the server\'s detail', async () => {
  await setLang('en', false);
  assert.equal(reason({ ...base, code: 'something_new' }).why, 'THE SERVER DETAIL');
});
