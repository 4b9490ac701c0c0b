// traffic.mjs: real traffic for the browser tests of the reporting
// screens: a program with a partner on an active campaign and task (whose
// default short link the server makes at once), clicks through the
// redirect (GET /{code}, as a browser), and conversions through the API.
//
//   const w = await world(srv, brand, partner, {currency: 'JPY'});
//   const cid = await click(srv, w.link.code);           // waits until it counts
//   await convert(srv, brand, {click_id: cid, order_id: 'A-1', amount: 1999});
//   clickTime(cid)                                       // the click's ms, from its id
import { randomBytes } from 'node:crypto';
import { campaignBody } from './harness.mjs';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export async function world(srv, brand, partner, { currency = 'JPY', name, payout, windowDays } = {}) {
  const api = srv.api(brand.key);
  const tag = randomBytes(3).toString('hex');
  const program = await api.post('/programs', {
    name: name ? `${name} program` : `Program ${tag}`, currency, default_landing_page: 'https://www.acme.test/',
    permitted_domains: ['acme.test', '*.acme.test'],
    ...(windowDays ? { referral_window_days: windowDays } : {}),
  });
  await api.post(`/programs/${program.id}/partners`, { partner_id: partner.id });
  const campaign = await api.post(`/programs/${program.id}/campaigns`, campaignBody({
    name: name || `Campaign ${tag}`, ...(payout ? { payout } : {}),
  }));
  await api.post(`/campaigns/${campaign.id}/partners`, { partner_id: partner.id });
  const task = await api.post(`/campaigns/${campaign.id}/tasks`, { title: `${name || 'Task'} task`, partner_ids: [partner.id] });
  const links = await api.get(`/tasks/${task.id}/links`);
  return { program, campaign, task, link: links.data[0] };
}

async function clicksCounted(srv, key) {
  const r = await srv.api(key).get('/reports');
  return r.data.reduce((n, row) => n + row.clicks, 0);
}

// One visit of a short link as a browser; resolves to the click id once
// the click shows in the reports (a unique click per distinct `ua`).
export async function click(srv, code, { ua = UA, brandKey = null } = {}) {
  const before = brandKey ? await clicksCounted(srv, brandKey) : 0;
  const res = await fetch(`${srv.base}/${code}`, { redirect: 'manual', headers: { 'User-Agent': ua } });
  if (res.status !== 302) throw new Error(`GET /${code} → ${res.status}`);
  const cid = new URL(res.headers.get('location')).searchParams.get('clickid');
  if (brandKey) {
    const deadline = Date.now() + 15000;
    while (await clicksCounted(srv, brandKey) <= before) {
      if (Date.now() > deadline) throw new Error('the click was not counted');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return cid;
}

export function convert(srv, brand, body) {
  return srv.api(brand.key).post('/conversions', { event_type: 'sale', ...body });
}

// The ms time a click id carries in its first 8 base62 characters.
export function clickTime(cid) {
  let v = 0;
  for (const ch of cid.slice(0, 8)) v = v * 62 + B62.indexOf(ch);
  return v;
}

export const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
