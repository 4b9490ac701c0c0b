// harness.mjs: what every browser test uses (tests/ui/*.test.mjs).
//
//   const srv = await startServer();          // build/tracklink serve, fresh DB, free port
//   const brand = await srv.newBrand();       // {id, name, key, email, password}
//   const api = srv.api(brand.key);           // await api.post('/programs', {...})
//   const browser = await launchBrowser();    // Debian's /usr/bin/chromium, headless
//   const { page, problems } = await openPage(browser, 'ja');  // locale ja-JP
//   await signIn(page, srv, brand, 'ja');     // through the Login screen
//   await checkA11y(page, 'login');           // axe-core: no serious or critical violation
//   await shot(page, 'login', 'ja');          // build/ui-shots/login-ja.png
//   assertNoProblems(problems);               // no CSP violation, no uncaught error
//   N('ja').signIn                            // the names of UI.md (names.mjs)
//
// TL_BUILD (set by tests/run.py) is the build dir holding tracklink,
// "build" by default; TL_SHOTS where screenshots go (build/ui-shots).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { NAMES } from './names.mjs';

export { NAMES, N } from './names.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BUILD = resolve(ROOT, process.env.TL_BUILD || 'build');
const SHOTS = resolve(ROOT, process.env.TL_SHOTS || join(BUILD, 'ui-shots'));
export const LANGS = ['en', 'ja'];
const LOCALES = { en: 'en-US', ja: 'ja-JP' };

// ---- the server

export async function startServer({ args = [], env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tl-ui-'));
  const adminKey = 'adm_' + randomBytes(18).toString('base64url');
  const proc = spawn(join(BUILD, 'tracklink'),
    ['serve', '--listen', '127.0.0.1:0', '--db', `sqlite:${join(dir, 't.db')}`, ...args], {
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRACKLINK_'))),
        TRACKLINK_ADMIN_KEY: adminKey, TRACKLINK_ALLOW_PRIVATE_POSTBACKS: '1', ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  let log = '';
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${log}`)), 30000);
    const onData = (b) => {
      log += b.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited (${code}):\n${log}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  const srv = {
    base, port, adminKey, dir,
    log: () => log,
    api: (key) => client(base, key),
    admin: () => client(base, adminKey),
    async newBrand({ name, email, password = 'correct horse 1' } = {}) {
      const tag = randomBytes(4).toString('hex');
      email = email || `brand-${tag}@acme.test`;
      const b = await client(base, adminKey).post('/brands',
        { name: name || `Acme ${tag}`, user: { email, password } });
      return { id: b.id, name: b.name, key: b.api_key, email, password };
    },
    async newPartner({ name, email, password = 'correct horse 2' } = {}) {
      const tag = randomBytes(4).toString('hex');
      email = email || `partner-${tag}@pub.test`;
      const p = await client(base, adminKey).post('/partners',
        { name: name || `Partner ${tag}`, email, user: { email, password } });
      return { id: p.id, name: p.name, key: p.api_key, email, password };
    },
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((ok) => proc.once('exit', ok));
        proc.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return srv;
}

// A JSON client of /api/v1 with a bearer key: methods answer the parsed
// body and throw on a status ≥ 400 (with .status and .problem);
// raw(method, path, body, headers) answers {status, headers, body}.
export function client(base, key) {
  async function raw(method, path, body, headers = {}) {
    const res = await fetch(base + (path.startsWith('/api/') || path.startsWith('/app') ? path : '/api/v1' + path), {
      method,
      headers: {
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: res.status, headers: res.headers, body: json, text };
  }
  async function call(method, path, body) {
    const r = await raw(method, path, body);
    if (r.status >= 400) {
      const e = new Error(`${method} ${path} → ${r.status} ${r.text}`);
      e.status = r.status;
      e.problem = r.body;
      throw e;
    }
    return r.body;
  }
  return {
    raw,
    get: (p) => call('GET', p),
    post: (p, b = {}) => call('POST', p, b),
    patch: (p, b) => call('PATCH', p, b),
    delete: (p) => call('DELETE', p),
  };
}

// A program with two landing pages, on acme.test.
export async function newProgram(api, { name = 'Acme JP', currency = 'JPY', pages = true } = {}) {
  const p = await api.post('/programs', {
    name, currency, default_landing_page: 'https://www.acme.test/',
    permitted_domains: ['acme.test', '*.acme.test'],
  });
  p.pages = [];
  if (pages) {
    p.pages.push(await api.post(`/programs/${p.id}/landing-pages`, { name: 'Winter page', url: 'https://www.acme.test/winter' }));
    p.pages.push(await api.post(`/programs/${p.id}/landing-pages`, { name: 'Spring page', url: 'https://www.acme.test/spring' }));
  }
  return p;
}

export function campaignBody(overrides = {}) {
  return {
    name: `Campaign ${randomBytes(3).toString('hex')}`, status: 'active',
    tracking: { enabled: true, landing_page_mode: 'program_default' },
    payout: { type: 'fixed', amount: 500 }, ...overrides,
  };
}

// ---- the browser

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.TL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // launch() gives every browser a fresh temporary profile (user-data-dir)
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

// A page in a fresh context (no cookies, no localStorage) in lang's
// locale. problems collects CSP violations and uncaught errors.
export async function openPage(browser, lang, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({
    locale: LOCALES[lang], viewport: { width, height }, timezoneId: 'Asia/Tokyo',
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`csp: ${m.text()}`);
    }
  });
  return { context, page, problems };
}

export function assertNoProblems(problems) {
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
}

// Signs in through the Login screen and waits for the landing page.
export async function signIn(page, srv, who, lang, { next = null } = {}) {
  const n = NAMES[lang];
  await page.goto(`${srv.base}/app/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel(n.email).fill(who.email);
  await page.getByLabel(n.password).fill(who.password);
  await page.getByRole('button', { name: n.signIn }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/app/login'));
}

let axeSource = null;
// axe-core over the whole page; fails on any serious or critical violation.
export async function checkA11y(page, label) {
  if (!axeSource) axeSource = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  // evaluated through the DevTools protocol: the page's CSP does not apply
  if (!(await page.evaluate('typeof window.axe'))?.startsWith?.('object')) await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((x) => x.target.join(' ')).slice(0, 5).join(', ')}`), [],
    `axe found serious or critical violations on ${label}`);
}

export async function shot(page, name, lang) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}-${lang}.png`), fullPage: true });
}

// The time (ms since the navigation started) at which the current
// screen called markReady(), waiting for it.
export async function readyAt(page, name) {
  await page.waitForFunction((n) => performance.getEntriesByName('tracklink:ready')
    .some((e) => !n || (e.detail === n)), name);
  return page.evaluate((n) => performance.getEntriesByName('tracklink:ready')
    .filter((e) => !n || e.detail === n).pop().startTime, name);
}
