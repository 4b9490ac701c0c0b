// ui.mjs: the pieces every screen shares, written to the rules of UI.md
// ("Rules that browser tests rely on"):
//   Page           the h1 (focused once per navigation) and the title "{h1} · tracklink"
//   Tabs           a tablist whose arrow keys, Home and End move and select
//   field errors   fieldAttrs/FieldError/FormAlert/toErrors/useFocusInvalid:
//                  "message (code)" next to its field, or one alert atop the form
//   announce       the page's one role="status" (StatusRegion, in the shell)
//   copyText       clipboard, else select + execCommand, else "Press Ctrl+C"
//   Loading, Failed, Empty, useResource   the states of anything fetched
//   markReady      performance mark "tracklink:ready" once a screen is usable
import { html, useEffect, useRef, useState } from './html.mjs';
import { has, t } from './i18n.mjs';
import { navCount } from './router.mjs';

// ---- page

let focusedNav = -1;

export function Page({ title, children, narrow = false, actions = null }) {
  const h1 = useRef(null);
  const nav = navCount();
  useEffect(() => {
    document.title = title ? `${title} · tracklink` : 'tracklink';
  }, [title]);
  useEffect(() => {
    if (title && focusedNav !== nav && h1.current) {
      focusedNav = nav;
      h1.current.focus({ preventScroll: true });
    }
  }, [nav, title]);
  return html`<div class=${narrow ? 'narrow' : 'page'}>
    <div class="inline page-head">
      <h1 tabindex="-1" ref=${h1}>${title}</h1>
      ${actions}
    </div>
    ${children}
  </div>`;
}

// ---- tabs

// items: [{id, label}]; selected: an id; onSelect(id). The panel that
// follows must have id `${id}-panel` (aria-controls points to it).
export function Tabs({ id, label, items, selected, onSelect, className = '' }) {
  function onKeyDown(e) {
    const i = items.findIndex((it) => it.id === selected);
    let j = i;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') j = (i + 1) % items.length;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') j = (i - 1 + items.length) % items.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = items.length - 1;
    else return;
    e.preventDefault();
    const next = e.currentTarget.querySelector(`#${id}-${items[j].id}`);
    if (next) next.focus();
    if (j !== i) onSelect(items[j].id);
  }
  return html`<div role="tablist" aria-label=${label} class=${className} onKeyDown=${onKeyDown}>
    ${items.map((it) => html`<button type="button" role="tab" key=${it.id} id=${`${id}-${it.id}`}
      aria-selected=${it.id === selected ? 'true' : 'false'} aria-controls=${`${id}-panel`}
      tabindex=${it.id === selected ? 0 : -1}
      onClick=${() => it.id !== selected && onSelect(it.id)}>${it.label}</button>`)}
  </div>`;
}

export function TabPanel({ id, selected, children }) {
  return html`<div role="tabpanel" id=${`${id}-panel`} aria-labelledby=${`${id}-${selected}`}>
    ${children}</div>`;
}

// ---- errors
//
// A form keeps `errors` = {fields: {name: {code, detail}}, alert: {code, detail} | null}.
// toErrors(apiError, {apiField: name}) puts a problem at its field when the
// form has that field, else in the alert: never both. The message is the
// language's "error.<code>" when there is one, else the server's detail,
// always followed by " (code)".

export const NO_ERRORS = Object.freeze({ fields: {}, alert: null });

// (e.message: a text of the screen's own for this field, instead of the code's)
export function describe(e) {
  const msg = e.message || (has(`error.${e.code}`) ? t(`error.${e.code}`) : e.detail || t('error.unknown'));
  return `${msg} (${e.code})`;
}

export function toErrors(err, fieldMap = {}) {
  const e = { code: err.code || 'error', detail: err.detail || err.message || '' };
  const name = err.field && fieldMap[err.field];
  return name ? { fields: { [name]: e }, alert: null } : { fields: {}, alert: e };
}

export function fieldError(name, code, detail = '') {
  return { fields: { [name]: { code, detail } }, alert: null };
}

// Attributes for the control of field `name` (its id is `id`; hintId, if
// given, describes it too).
export function fieldAttrs(errors, name, id, hintId) {
  const bad = !!errors.fields[name];
  const by = [bad ? `${id}-error` : null, hintId || null].filter(Boolean).join(' ');
  return { 'aria-invalid': bad ? 'true' : undefined, 'aria-describedby': by || undefined };
}

export function FieldError({ errors, name, id }) {
  const e = errors.fields[name];
  return e ? html`<p class="field-error" id=${`${id}-error`}>${describe(e)}</p>` : null;
}

export function FormAlert({ errors }) {
  return errors.alert ? html`<div role="alert" class="alert">${describe(errors.alert)}</div>` : null;
}

// After a failed submit, focus goes to the first invalid field (the first
// control inside it, for a group).
export function useFocusInvalid(formRef, errors) {
  useEffect(() => {
    const form = formRef.current;
    if (!form || !Object.keys(errors.fields).length) return;
    const el = form.querySelector('[aria-invalid="true"]');
    if (!el) return;
    const target = el.matches('input, select, textarea, button')
      ? el : el.querySelector('input, select, textarea, button');
    if (target) target.focus();
  }, [errors]);
}

// ---- the status live region

let statusSet = () => {};
let statusTimer = null;

// Says msgKey (an i18n key) in the page's role="status" region.
export function announce(msgKey, vars) {
  clearTimeout(statusTimer);
  statusSet(null);
  // a fresh text node, so that the same message is spoken again
  setTimeout(() => {
    statusSet({ key: msgKey, vars });
    statusTimer = setTimeout(() => statusSet(null), 5000);
  }, 30);
}

export function StatusRegion() {
  const [msg, setMsg] = useState(null);
  useEffect(() => {
    statusSet = setMsg;
    return () => { statusSet = () => {}; };
  }, []);
  return html`<div role="status" aria-live="polite" class="toast">${msg ? t(msg.key, msg.vars) : ''}</div>`;
}

// ---- copy

// Copies text: navigator.clipboard when the page may use it; else the
// text is selected (in `input`, when given) and copied with
// execCommand('copy'); else it stays selected and the status says
// "Press Ctrl+C". Resolves to whether it was copied.
export async function copyText(text, input = null) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      announce('copy.done');
      return true;
    }
  } catch { /* refused: fall back */ }
  let el = input;
  let temp = null;
  if (!el) {
    temp = document.createElement('textarea');
    temp.value = text;
    temp.setAttribute('readonly', '');
    temp.className = 'sr-only';
    document.body.appendChild(temp);
    el = temp;
  }
  el.focus();
  el.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  if (temp && ok) temp.remove();
  announce(ok ? 'copy.done' : 'copy.manual');
  return ok;
}

// ---- loading, failure, empty

export function Loading({ rows = 4 }) {
  return html`<div class="skeleton" aria-busy="true">
    <span class="sr-only">${t('common.loading')}</span>
    ${Array.from({ length: rows }, (_, i) => html`<span key=${i} aria-hidden="true"></span>`)}
  </div>`;
}

export function Failed({ error, onRetry }) {
  return html`<div class="failed" role="alert">
    <p>${t('common.loadFailed')} ${describe({ code: error.code || 'error', detail: error.detail || error.message })}</p>
    <button type="button" onClick=${onRetry}>${t('common.retry')}</button>
  </div>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

// Runs fetcher(signal) when deps change: {loading, data, error, reload}.
export function useResource(fetcher, deps) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    const ctl = new AbortController();
    setState((s) => ({ loading: true, data: s.data, error: null }));
    fetcher(ctl.signal).then(
      (data) => { if (live) setState({ loading: false, data, error: null }); },
      (error) => { if (live && error.name !== 'AbortError') setState({ loading: false, data: null, error }); },
    );
    return () => { live = false; ctl.abort(); };
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

// Marks the moment the current screen became usable (read by the tests).
export function markReady(name) {
  try { performance.mark('tracklink:ready', { detail: name }); } catch { /* old browser */ }
}
