// router.mjs: client-side routing on the History API.
//
// navigate('/app/campaigns?status=draft') pushes a history entry and
// re-renders; {replace: true} replaces the entry instead. Clicks on
// same-origin links under /app/ are routed here, without a reload. A route
// pattern is a path with ":name" segments: match('/app/campaigns/:id/:tab')
// gives {id, tab}. navCount() grows at each navigation to another path
// (not for a new query on the same screen, such as a tab, nor for a
// language switch), so that a page focuses its h1 once per navigation.
import { useEffect, useState } from './html.mjs';

const listeners = new Set();
let count = 0;
let lastPath = null;

function emit() {
  if (location.pathname !== lastPath) {
    lastPath = location.pathname;
    count++;
  }
  for (const fn of listeners) fn();
}

export function navCount() { return count; }

// {sameScreen: true}: a new path that stays on the screen (a tab of Manage
// campaign): navCount() does not grow, so the focus stays where it is.
export function navigate(to, { replace = false, sameScreen = false } = {}) {
  const url = new URL(to, location.href);
  if (url.href === location.href && !replace) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', url.pathname + url.search + url.hash);
  if (!url.hash && !sameScreen) window.scrollTo(0, 0);
  if (sameScreen) lastPath = url.pathname;
  emit();
}

// The current location, re-rendering the caller on each navigation.
export function useLocation() {
  const [, setN] = useState(0);
  useEffect(() => {
    const fn = () => setN((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return { pathname: location.pathname, search: location.search, query: new URLSearchParams(location.search) };
}

// Sets or drops query parameters of the current URL (a replace by default).
export function setQuery(params, { replace = true } = {}) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  navigate(location.pathname + (s ? '?' + s : ''), { replace });
}

export function matchPath(pattern, pathname) {
  const p = pattern.split('/');
  const s = pathname.replace(/\/+$/, '').split('/');
  if (p.length !== s.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      if (!s[i]) return null;
      params[p[i].slice(1)] = decodeURIComponent(s[i]);
    } else if (p[i] !== s[i]) {
      return null;
    }
  }
  return params;
}

export function matchRoute(routes, pathname) {
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return null;
}

export function startRouter() {
  lastPath = location.pathname;
  window.addEventListener('popstate', emit);
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest && e.target.closest('a[href]');
    if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith('/app/')) return;
    // a link to an anchor of this page (the skip link) is the browser's
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}
