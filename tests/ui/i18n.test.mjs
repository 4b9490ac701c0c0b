// i18n.test.mjs: the string tables web/i18n/en.mjs and ja.mjs have the
// same keys, no empty string, and the same {placeholders} per key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../../web/i18n/en.mjs';
import ja from '../../web/i18n/ja.mjs';

const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('en and ja have the same keys', () => {
  const a = Object.keys(en).sort();
  const b = Object.keys(ja).sort();
  assert.deepEqual(a.filter((k) => !(k in ja)), [], 'keys missing in ja.mjs');
  assert.deepEqual(b.filter((k) => !(k in en)), [], 'keys missing in en.mjs');
});

test('no string is empty, and placeholders match', () => {
  for (const k of Object.keys(en)) {
    assert.ok(typeof en[k] === 'string' && en[k].length > 0, `en ${k}`);
    assert.ok(typeof ja[k] === 'string' && ja[k].length > 0, `ja ${k}`);
    assert.deepEqual(holes(ja[k]), holes(en[k]), `placeholders of ${k}`);
  }
});
