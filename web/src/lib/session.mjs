// session.mjs: who is signed in ({account:{id,kind,name}, user:{email},
// csrf_token}, or null), kept here for the shell and the screens.
import { api, setCsrf } from './api.mjs';

let current; // undefined until the first check
const listeners = new Set();

export function getSession() { return current; }

export function setSession(s) {
  current = s || null;
  setCsrf(current ? current.csrf_token : null);
  for (const fn of listeners) fn(current);
}

export function onSession(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Asks the server whether the cookie is a session (401: signed out).
export async function checkSession() {
  try {
    setSession(await api.get('/session', { auth: false }));
  } catch (e) {
    if (e.status === 401) setSession(null);
    else throw e;
  }
  return current;
}

export async function signIn(email, password) {
  const s = await api.post('/session', { email, password }, { auth: false });
  setSession(s);
  return s;
}

// Ends the session on the server; signed out here whatever it answers.
// beforeClear runs just before (the shell goes to the login page first,
// so that no screen sees itself signed out and asks for ?next=).
export async function signOut(beforeClear = () => {}) {
  try { await api.delete('/session', { auth: false }); } catch { /* over anyway */ }
  beforeClear();
  setSession(null);
}

// Where a user lands after signing in.
export function homeOf(s) {
  return s && s.account.kind === 'partner' ? '/app/tasks' : '/app/campaigns?status=active';
}

// Where the login page sends a signed-in user: ?next= when it is a path
// of the UI (never another site), else their home.
export function landingOf(s, next) {
  const ok = next && next.startsWith('/app/') && !next.startsWith('/app/login') &&
    !next.includes('//') && !next.includes('\\');
  return ok ? next : homeOf(s);
}
