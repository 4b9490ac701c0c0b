// app.mjs: the UI's entry point: the shell (skip link, banner with the
// account, the Language / 言語 switch and Sign out, the Main navigation,
// the one role="status" region), the session check, and the routing of
// each path to its screen (routes.mjs), loaded on first use.
import { html, render, useEffect, useState } from './lib/html.mjs';
import { LANGS, getLang, initialLang, onLang, setLang, t } from './lib/i18n.mjs';
import { onUnauthorized } from './lib/api.mjs';
import {
  checkSession, getSession, homeOf, landingOf, onSession, setSession, signOut,
} from './lib/session.mjs';
import { matchRoute, navigate, startRouter, useLocation } from './lib/router.mjs';
import { Empty, Failed, Loading, Page, StatusRegion } from './lib/ui.mjs';
import { navigation, routes } from './routes.mjs';

const screens = new Map(); // route.path → the loaded component

function loginUrl() {
  const here = location.pathname + location.search;
  return here.startsWith('/app/login') ? '/app/login' : `/app/login?next=${encodeURIComponent(here)}`;
}

function Banner({ session }) {
  const [busy, setBusy] = useState(false);
  async function out() {
    setBusy(true);
    await signOut(() => navigate('/app/login'));
    setBusy(false);
  }
  return html`<header class="banner">
    <a class="brand" href=${session ? homeOf(session) : '/app/login'}>${t('app.name')}</a>
    ${session && html`<span class="account">${session.account.name}</span>`}
    <div class="lang">
      <label for="lang">Language / 言語</label>
      <select id="lang" value=${getLang()} onChange=${(e) => setLang(e.currentTarget.value)}>
        ${LANGS.map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
      </select>
    </div>
    ${session && html`<button type="button" onClick=${out} disabled=${busy}
      aria-busy=${busy ? 'true' : undefined}>${t('shell.signOut')}</button>`}
  </header>`;
}

function Nav({ session, pathname }) {
  const nav = navigation[session.account.kind];
  if (!nav) return null;
  return html`<nav class="nav" aria-label=${t('nav.main')}>
    ${nav.heading && html`<h2>${t(nav.heading)}</h2>`}
    <ul>
      ${nav.links.map(([key, href, base]) => {
        const path = base || href.split('?')[0];
        const here = pathname === path || pathname.startsWith(path + '/');
        return html`<li key=${key}><a href=${href} aria-current=${here ? 'page' : undefined}>${t(key)}</a></li>`;
      })}
    </ul>
  </nav>`;
}

function NotFound({ text }) {
  return html`<${Page} title=${t('notFound.title')}>
    <${Empty}><p>${text || t('notFound.text')}</p>
      <a href=${homeOf(getSession())}>${t('notFound.home')}</a></${Empty}>
  </${Page}>`;
}

// The screen of a route, loaded on first use.
function Screen({ route, params, session }) {
  const [, setLoaded] = useState(0);
  const [error, setError] = useState(null);
  const Component = screens.get(route.path);
  useEffect(() => {
    if (Component) return;
    let live = true;
    setError(null);
    route.load().then(
      (m) => { screens.set(route.path, m.default); if (live) setLoaded((n) => n + 1); },
      (e) => { if (live) setError(e); },
    );
    return () => { live = false; };
  }, [route, Component]);
  if (error) {
    return html`<${Failed} error=${{ code: 'network_error', detail: String(error.message || error) }}
      onRetry=${() => location.reload()} />`;
  }
  if (!Component) return html`<${Loading} />`;
  return html`<${Component} route=${route} params=${params} session=${session} />`;
}

function App() {
  const loc = useLocation();
  const [, setLangTick] = useState(0);
  const [session, setSessionState] = useState(getSession());
  useEffect(() => onLang(() => setLangTick((n) => n + 1)), []);
  useEffect(() => {
    // the check may have ended between the first render and this effect
    setSessionState(getSession());
    return onSession(setSessionState);
  }, []);

  const m = matchRoute(routes, loc.pathname);
  const root = loc.pathname === '/app/' || loc.pathname === '/app';
  let redirect = null;
  if (session === undefined) redirect = null;
  else if (root) redirect = session ? homeOf(session) : '/app/login';
  else if (m && !m.route.public && !session) redirect = loginUrl();
  else if (m && m.route.path === '/app/login' && session) redirect = landingOf(session, loc.query.get('next'));
  useEffect(() => { if (redirect) navigate(redirect, { replace: true }); }, [redirect]);

  let body;
  if (session === undefined || redirect) body = html`<${Loading} />`;
  else if (!m) body = html`<${NotFound} />`;
  else if (m.route.kind && m.route.kind !== session.account.kind) body = html`<${NotFound} text=${t('wrongKind.text')} />`;
  else body = html`<${Screen} key=${m.route.path} route=${m.route} params=${m.params} session=${session} />`;

  return html`
    <a class="skip" href="#main">${t('shell.skip')}</a>
    <${Banner} session=${session} />
    <div class="layout">
      ${session && html`<${Nav} session=${session} pathname=${loc.pathname} />`}
      <main id="main" tabindex="-1">${body}</main>
    </div>
    <${StatusRegion} />`;
}

async function boot() {
  const mount = document.getElementById('app');
  startRouter();
  onUnauthorized(() => {
    if (getSession()) setSession(null);
    if (!location.pathname.startsWith('/app/login')) navigate(loginUrl(), { replace: true });
  });
  // The language and the session are asked for at once.
  const langReady = setLang(initialLang(), false);
  // (a server that cannot be reached: the login page says so when used)
  const sessionReady = checkSession().catch(() => setSession(null));
  await langReady;
  render(html`<${App} />`, mount);
  await sessionReady;
}

boot();
