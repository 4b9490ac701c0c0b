// api.mjs: the client of the REST API (/api/v1), the UI's only source.
//
//   await api.get('/campaigns?status=active')      → the parsed JSON
//   await api.post('/programs/3/campaigns', body)  → the created object
//   await api.list('/campaigns?status=active', {limit: 100, cursor})
//   await api.all('/programs')                     → every item, all pages
//
// Requests carry the session cookie (same origin) and, on writes, the
// X-CSRF-Token of the session. A problem+json answer throws an ApiError
// with its status, code, field and detail; a failed fetch throws one with
// code "network_error". A 401 (the session is over) also calls the
// handler set with onUnauthorized (the shell sends the user to
// /app/login?next=…), unless the call passed {auth: false}.
const BASE = '/api/v1';

let csrf = null;
let unauthorized = () => {};

export function setCsrf(token) { csrf = token || null; }
export function onUnauthorized(fn) { unauthorized = fn; }

export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code || (status ? `http_${status}` : 'network_error');
    this.field = problem.field || null;
    this.detail = problem.detail || '';
    this.problem = problem;
  }
}

async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(BASE + path, {
      method, headers, credentials: 'same-origin', signal: opts.signal,
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { code: 'network_error', detail: String(e.message || e) });
  }
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (res.status !== 204 && type.includes('json')) {
    try {
      data = await res.json();
    } catch (e) {
      if (e.name === 'AbortError') throw e; // the caller gave up while the body came
      data = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data || {});
    if (res.headers.get('Retry-After')) err.retryAfter = Number(res.headers.get('Retry-After'));
    if (res.status === 401 && opts.auth !== false) unauthorized(err);
    throw err;
  }
  return data;
}

function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  if (!s) return path;
  return path + (path.includes('?') ? '&' : '?') + s;
}

export const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts),
  patch: (path, body, opts) => request('PATCH', path, body, opts),
  put: (path, body, opts) => request('PUT', path, body, opts),
  delete: (path, opts) => request('DELETE', path, undefined, opts),
  // One page of a list: {data, next_cursor}.
  list: (path, { limit, cursor, signal } = {}) =>
    request('GET', withQuery(path, { limit, cursor }), undefined, { signal }),
  // Every item of a list (for short lists: programs, landing pages).
  async all(path, { signal, max = 10000 } = {}) {
    const out = [];
    let cursor = null;
    do {
      const page = await request('GET', withQuery(path, { limit: 500, cursor }), undefined,
        { signal });
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor && out.length < max);
    return out;
  },
  withQuery,
};
