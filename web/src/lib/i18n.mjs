// i18n.mjs: the chosen language, the strings (web/i18n/{en,ja}.mjs) and
// the formats that depend on the language and the time zone.
//
// t('campaigns.title') is the string of the current language;
// t('x', {n: 3}) fills "{n}". Language: localStorage["tracklink.lang"],
// else the first ja/en of navigator.languages, else en. Switching keeps the
// page: the shell re-renders with the new strings (components keep their
// state), and <html lang> follows.
import en from '../../i18n/en.mjs';

export const LANGS = [['en', 'English'], ['ja', '日本語']];
const LANG_KEY = 'tracklink.lang';
const TZ_KEY = 'tracklink.tz';
const loaders = {
  en: async () => en,
  ja: async () => (await import('../../i18n/ja.mjs')).default,
};

let lang = 'en';
let dict = en;
const listeners = new Set();

function stored(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}
function store(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode: not kept */ }
}

export function initialLang() {
  const s = stored(LANG_KEY);
  if (s && loaders[s]) return s;
  for (const l of navigator.languages || [navigator.language || '']) {
    const p = String(l).toLowerCase().split('-')[0];
    if (loaders[p]) return p;
  }
  return 'en';
}

export function getLang() { return lang; }

// Loads and applies a language; remember=false for the start-up choice.
export async function setLang(next, remember = true) {
  if (!loaders[next]) next = 'en';
  dict = await loaders[next]();
  lang = next;
  document.documentElement.lang = next;
  if (remember) store(LANG_KEY, next);
  for (const fn of listeners) fn(next);
}

// Calls fn(lang) after each switch; returns the unsubscribe function.
export function onLang(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function has(key) { return key in dict || key in en; }

export function t(key, vars) {
  let s = key in dict ? dict[key] : key in en ? en[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function locale() { return lang === 'ja' ? 'ja-JP' : 'en-US'; }

// ---- money: integers in minor units, as the API sends them

const digitsCache = new Map();
export function currencyDigits(currency) {
  if (!digitsCache.has(currency)) {
    let d = 2;
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits;
    } catch { /* not an ISO code: two digits */ }
    digitsCache.set(currency, d);
  }
  return digitsCache.get(currency);
}

const moneyFormats = new Map();
// formatMoney(1999, 'JPY') → "¥1,999"; formatMoney(1999, 'USD') → "$19.99".
export function formatMoney(minor, currency) {
  if (minor == null || !currency) return '';
  const d = currencyDigits(currency);
  const k = locale() + currency;
  if (!moneyFormats.has(k)) {
    moneyFormats.set(k, new Intl.NumberFormat(locale(), {
      style: 'currency', currency, minimumFractionDigits: d, maximumFractionDigits: d,
    }));
  }
  return moneyFormats.get(k).format(minor / 10 ** d);
}

// "19.99" in USD → 1999; "1,999" in JPY → 1999; null when it is no amount
// of that currency (a minus sign, too many decimals, not a number).
export function parseMoney(text, currency) {
  const s = String(text).trim().replace(/[,\s]/g, '');
  const d = currencyDigits(currency);
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] || '').length > d) return null;
  const v = Number(m[1] + (m[2] || '').padEnd(d, '0'));
  return Number.isSafeInteger(v) ? v : null;
}

// A rate in basis points as a percentage: 1000 → "10%".
export function formatRate(bp) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 2 })
    .format(bp / 10000);
}

// "12.5" (%) → 1250 basis points; null when not 0–100 with ≤ 2 decimals.
export function parseRate(text) {
  const m = /^(\d{1,3})(?:\.(\d{0,2}))?$/.exec(String(text).trim());
  if (!m) return null;
  const v = Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
  return v <= 10000 ? v : null;
}

// ---- times: RFC 3339 from the API, shown in the chosen zone

export function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}
export function zone() { return stored(TZ_KEY) || browserZone(); }
export function setZone(z) { store(TZ_KEY, z); for (const fn of listeners) fn(lang); }

export function formatTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium', timeStyle: 'short', timeZone: zone(),
  }).format(new Date(iso));
}

export function formatDate(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: zone() })
    .format(new Date(iso));
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}
