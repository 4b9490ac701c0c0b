// zoned.mjs: calendar dates and hours in a named IANA time zone, for the
// report periods (a period is a local date range, sent to the API as
// from = the first date, to = the day after the last, with tz).
//
//   todayIn('Asia/Tokyo')               → "2026-11-29"
//   addDays('2026-11-29', 1)            → "2026-11-30"
//   localMidnight('2026-11-29', 'Asia/Tokyo') → ms of 2026-11-28T15:00:00Z
//   hoursBetween(from, toExcl, tz)      → ms of every local hour start
//
// Dates are "YYYY-MM-DD" strings; times are ms since the epoch. The
// offsets come from Intl.DateTimeFormat, so DST days have 23 or 25 hours.
const partsCache = new Map();

function partsFormat(tz) {
  if (!partsCache.has(tz)) {
    partsCache.set(tz, new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }));
  }
  return partsCache.get(tz);
}

// The local wall clock of ms in tz: {y, m, d, h, mi, s} (m from 1).
export function wallClock(ms, tz) {
  const p = {};
  for (const { type, value } of partsFormat(tz).formatToParts(new Date(ms))) p[type] = value;
  return { y: +p.year, m: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second };
}

// tz's offset from UTC at ms, in ms (Tokyo: +9 h).
export function offsetAt(ms, tz) {
  const w = wallClock(ms, tz);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s);
  return asUtc - (Math.floor(ms / 1000) * 1000);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

export function ymd(y, m, d) { return `${pad(y, 4)}-${pad(m)}-${pad(d)}`; }

export function isDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
  if (!m) return false;
  const t = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return t.getUTCFullYear() === +m[1] && t.getUTCMonth() === +m[2] - 1 && t.getUTCDate() === +m[3];
}

export function todayIn(tz, now = Date.now()) {
  const w = wallClock(now, tz);
  return ymd(w.y, w.m, w.d);
}

export function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

export function firstOfMonth(date) { return `${date.slice(0, 8)}01`; }

// Days from a to b inclusive, as dates (at most max of them).
export function daysBetween(a, b, max = 3660) {
  const out = [];
  for (let d = a; d <= b && out.length < max; d = addDays(d, 1)) out.push(d);
  return out;
}

// The instant at which date begins in tz.
export function localMidnight(date, tz) {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetAt(wall, tz);
  t = wall - offsetAt(t, tz); // once more across an offset change
  return t;
}

// The start of every local hour from the start of date `from` to the
// start of date `toExcl` (at most max).
export function hoursBetween(from, toExcl, tz, max = 24 * 400) {
  const out = [];
  const end = localMidnight(toExcl, tz);
  for (let t = localMidnight(from, tz); t < end && out.length < max; t += 3600000) out.push(t);
  return out;
}

// Every zone the browser knows, with UTC and the browser's own.
export function zoneList(own) {
  let all = [];
  try { all = Intl.supportedValuesOf('timeZone'); } catch { all = []; }
  return [...new Set(['UTC', own, ...all])].filter(Boolean).sort((a, b) =>
    (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
}
