// programs.mjs: Programs (brand), two routes of one module:
//   /app/programs       the table of the brand's programs (GET /api/v1/programs)
//                       and Create program (a dialog: POST /api/v1/programs;
//                       then the new program's postback key, shown this once)
//   /app/programs/{id}  one program: its settings (PATCH /programs/{id}, the
//                       same fields), its landing pages (GET|POST
//                       /programs/{id}/landing-pages), its partners (GET|POST
//                       /programs/{id}/partners, by partner ID) and its
//                       postback key (POST /programs/{id}/postback-key, after a
//                       confirm; the new key shown this once, with Copy).
// The page shows only the start of the postback key: the whole key is shown
// when it is made (create, rotate), so that it is not on screen otherwise.
import { html, useEffect, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatTime, t } from './lib/i18n.mjs';
import {
  Empty, Failed, FieldError, FormAlert, Loading, NO_ERRORS, Page, announce, copyText, fieldAttrs, fieldError, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';
import { Dialog } from './lib/dialogs.mjs';

// The program's fields, in the form's order; API field = form field.
const FIELDS = ['name', 'default_landing_page', 'permitted_domains', 'click_id_param',
  'referral_window_days', 'currency'];
const FIELD_MAP = Object.fromEntries(FIELDS.map((f) => [f, f]));
const DEFAULTS = { click_id_param: 'clickid', referral_window_days: '30', currency: 'USD' };

const maskKey = (key) => (key ? `${key.slice(0, 8)}…` : '');

// Whether url's host is on one of the domains, as the server decides
// (src/core/url.c: "a.b" is that host only, "*.a.b" its subdomains). The
// browser's URL gives the host in punycode and lower case, as they are stored.
export function permitted(url, domains) {
  let host;
  try { host = new URL(url).hostname.replace(/\.$/, ''); } catch { return false; }
  return domains.some((d) => (d.startsWith('*.') ? host.length > d.length - 1 && host.endsWith(d.slice(1)) : host === d));
}

function toForm(p) {
  if (!p) return { name: '', default_landing_page: '', permitted_domains: '', ...DEFAULTS };
  return {
    name: p.name, default_landing_page: p.default_landing_page,
    permitted_domains: p.permitted_domains.join('\n'), click_id_param: p.click_id_param,
    referral_window_days: String(p.referral_window_days), currency: p.currency,
  };
}

// The form's values as an API body, or {error} for what the browser can
// tell (in the form's order); the server checks the rest.
function toBody(form) {
  const body = {
    name: form.name.trim(),
    default_landing_page: form.default_landing_page.trim(),
    permitted_domains: form.permitted_domains.split(/[\n,]/).map((d) => d.trim()).filter(Boolean),
    click_id_param: form.click_id_param.trim(),
    currency: form.currency.trim().toUpperCase(),
  };
  if (!body.name) return { error: fieldError('name', 'missing_field') };
  if (!body.default_landing_page) return { error: fieldError('default_landing_page', 'missing_field') };
  if (body.permitted_domains.length === 0) return { error: fieldError('permitted_domains', 'missing_field') };
  if (!body.click_id_param) return { error: fieldError('click_id_param', 'missing_field') };
  const days = form.referral_window_days.trim();
  if (!days) return { error: fieldError('referral_window_days', 'missing_field') };
  if (!/^\d{1,9}$/.test(days)) return { error: fieldError('referral_window_days', 'invalid_value') };
  body.referral_window_days = Number(days);
  if (!body.currency) return { error: fieldError('currency', 'missing_field') };
  return { body };
}

// One labelled text control of the program form.
function Field({ id, name, form, set, errors, area = false, hint = true, ...rest }) {
  const hintId = hint ? `${id}-hint` : undefined;
  const attrs = { id, value: form[name], onInput: set(name), ...fieldAttrs(errors, name, id, hintId), ...rest };
  return html`<div class="field">
    <label for=${id}>${t(`programs.field.${name}`)}</label>
    ${area ? html`<textarea rows="3" spellcheck="false" ...${attrs}></textarea>`
      : html`<input type="text" ...${attrs} />`}
    ${hint && html`<p class="hint" id=${hintId}>${t(`programs.hint.${name}`)}</p>`}
    <${FieldError} errors=${errors} name=${name} id=${id} />
  </div>`;
}

// The fields of a program, for Create program and for the program's
// settings. onSubmit(body) resolves when saved, or throws an ApiError.
function ProgramForm({ prefix, initial, submitLabel, onSubmit, onCancel = null }) {
  const [form, setForm] = useState(() => toForm(initial));
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  // a new program object (saved, or its key rotated) resets the form only
  // when its fields changed, so that unsaved edits survive a rotation
  const shown = JSON.stringify(toForm(initial));
  useEffect(() => { setForm(toForm(initial)); setErrors(NO_ERRORS); }, [shown]);
  const set = (k) => (e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, [k]: v })); };
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    const { body, error } = toBody(form);
    if (error) return setErrors(error);
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await onSubmit(body);
    } catch (err) {
      setErrors(toErrors(err, FIELD_MAP));
    }
    setBusy(false);
  }
  const p = { form, set, errors };
  return html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
    <${FormAlert} errors=${errors} />
    <${Field} id=${`${prefix}-name`} name="name" hint=${false} maxlength="200" autocomplete="off" ...${p} />
    <${Field} id=${`${prefix}-default`} name="default_landing_page" inputmode="url" spellcheck="false"
      autocomplete="off" placeholder="https://www.example.com/" ...${p} />
    <${Field} id=${`${prefix}-domains`} name="permitted_domains" area=${true} ...${p} />
    <div class="program-grid">
      <${Field} id=${`${prefix}-clickid`} name="click_id_param" spellcheck="false" autocomplete="off" ...${p} />
      <${Field} id=${`${prefix}-window`} name="referral_window_days" inputmode="numeric" autocomplete="off" ...${p} />
      <${Field} id=${`${prefix}-currency`} name="currency" maxlength="3" autocomplete="off" spellcheck="false"
        class="upper" ...${p} />
    </div>
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${submitLabel}</button>
      ${onCancel && html`<button type="button" onClick=${onCancel}>${t('common.cancel')}</button>`}
    </div>
  </form>`;
}

// A secret shown this once: a readonly textbox and Copy.
function KeyBox({ id, value }) {
  const ref = useRef(null);
  useEffect(() => { if (ref.current) ref.current.select(); }, [value]);
  return html`<div class="field">
    <label for=${id}>${t('programs.key')}</label>
    <div class="copy-row">
      <input id=${id} type="text" readonly value=${value} ref=${ref} class="code"
        aria-describedby=${`${id}-hint`} spellcheck="false" autocomplete="off" />
      <button type="button" onClick=${() => copyText(value, ref.current)}>${t('programs.copy')}</button>
    </div>
    <p class="hint" id=${`${id}-hint`}>${t('programs.keyOnce')}</p>
  </div>`;
}

// An example of GET /postback with the key, for the brand's shop.
function PostbackExample({ program, keyValue }) {
  const url = `${location.origin}/postback?key=${keyValue}&click_id={click_id}&order_id={order_id}`
    + `&amount={amount}&currency=${program.currency}&event_type=sale`;
  return html`<div class="field">
    <p class="hint">${t('programs.postbackExample', { param: program.click_id_param })}</p>
    <code class="example">${url}</code>
  </div>`;
}

function CreateDialog({ open, onClose, onCreated }) {
  const [created, setCreated] = useState(null);
  useEffect(() => { if (open) setCreated(null); }, [open]);
  function close() { setCreated(null); onClose(); }
  async function create(body) {
    const p = await api.post('/programs', body);
    setCreated(p);
    onCreated(p);
  }
  return html`<${Dialog} open=${open} onClose=${close} title=${t('programs.create')} className="wide">
    ${created
      ? html`<div class="form">
          <p>${t('programs.createdText', { name: created.name })}</p>
          <${KeyBox} id="pg-new-key" value=${created.postback_key} />
          <${PostbackExample} program=${created} keyValue=${created.postback_key} />
          <div class="actions">
            <a class="button primary" href=${`/app/programs/${created.id}`}
              onClick=${() => setCreated(null)}>${t('programs.open')}</a>
            <button type="button" onClick=${close}>${t('programs.done')}</button>
          </div>
        </div>`
      : html`<${ProgramForm} prefix="pgc" submitLabel=${t('programs.create')} onSubmit=${create} onCancel=${close} />`}
  </${Dialog}>`;
}

function ProgramList() {
  const programs = useResource((signal) => api.all('/programs', { signal }), []);
  const [creating, setCreating] = useState(false);
  useEffect(() => { if (!programs.loading) markReady('programs'); }, [programs.loading]);
  const col = (k) => t(`programs.col.${k}`);
  let content;
  if (programs.error) content = html`<${Failed} error=${programs.error} onRetry=${programs.reload} />`;
  else if (programs.loading && !programs.data) content = html`<${Loading} rows=${4} />`;
  else if (programs.data.length === 0) {
    content = html`<${Empty}><p>${t('programs.empty')}</p><p>${t('programs.emptyNext')}</p></${Empty}>`;
  } else {
    content = html`<div class="table-wrap"><table role="table" aria-label=${t('programs.table')} class="stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${col('name')}</th>
        <th role="columnheader" scope="col">${col('default')}</th>
        <th role="columnheader" scope="col">${col('domains')}</th>
        <th role="columnheader" scope="col">${col('currency')}</th>
        <th role="columnheader" scope="col" class="num">${col('window')}</th>
        <th role="columnheader" scope="col">${col('created')}</th>
      </tr></thead>
      <tbody role="rowgroup">${programs.data.map((p) => html`<tr role="row" key=${p.id}>
        <th role="rowheader" scope="row"><a href=${`/app/programs/${p.id}`}>${p.name}</a></th>
        <td role="cell" class="url" data-label=${col('default')}>${p.default_landing_page}</td>
        <td role="cell" class="wrap code" data-label=${col('domains')}>${p.permitted_domains.join(', ')}</td>
        <td role="cell" class="code" data-label=${col('currency')}>${p.currency}</td>
        <td role="cell" class="num" data-label=${col('window')}>${t('programs.days', { n: p.referral_window_days })}</td>
        <td role="cell" data-label=${col('created')}>${formatTime(p.created_at)}</td>
      </tr>`)}</tbody>
    </table></div>`;
  }
  return html`<${Page} title=${t('programs.title')} actions=${html`<button type="button" class="primary"
      onClick=${() => setCreating(true)}>${t('programs.create')}</button>`}>
    <p class="hint intro">${t('programs.intro')}</p>
    <div aria-busy=${programs.loading ? 'true' : 'false'}>${content}</div>
    <${CreateDialog} open=${creating} onClose=${() => setCreating(false)}
      onCreated=${(p) => { programs.reload(); announce('programs.created', { name: p.name }); }} />
  </${Page}>`;
}

// ---- one program

// A dialog of a small form: fields [{name, id, label, hint?, inputmode?}].
// submit(values) resolves to the status message key, or throws an ApiError
// whose field is one of the names (else the dialog's alert). custom maps a
// (field, code) to a message key of its own.
function SmallFormDialog({ open, title, fields, submitLabel, onClose, submit, custom = {} }) {
  const empty = () => Object.fromEntries(fields.map((f) => [f.name, '']));
  const [values, setValues] = useState(empty);
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  useEffect(() => { if (open) { setValues(empty()); setErrors(NO_ERRORS); setBusy(false); } }, [open]);
  async function onSubmit(e) {
    e.preventDefault();
    if (busy) return;
    const trimmed = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]));
    for (const f of fields) {
      if (!trimmed[f.name]) return setErrors(fieldError(f.name, 'missing_field'));
      if (f.pattern && !f.pattern.test(trimmed[f.name])) return setErrors(fieldError(f.name, 'invalid_value'));
    }
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await submit(trimmed);
      setBusy(false);
      onClose();
    } catch (err) {
      setErrors(toErrors(err, Object.fromEntries(fields.map((f) => [f.api || f.name, f.name]))));
      setBusy(false);
    }
  }
  return html`<${Dialog} open=${open} onClose=${onClose} title=${title}>
    <form class="form" ref=${formRef} onSubmit=${onSubmit} novalidate>
      <${FormAlert} errors=${errors} />
      ${fields.map((f, i) => {
        const e = errors.fields[f.name];
        const own = e && custom[`${f.name}:${e.code}`];
        return html`<div class="field" key=${f.name}>
          <label for=${f.id}>${f.label}</label>
          <input id=${f.id} type="text" value=${values[f.name]} autocomplete="off" spellcheck="false"
            autofocus=${i === 0} inputmode=${f.inputmode}
            onInput=${(ev) => { const v = ev.currentTarget.value; setValues((s) => ({ ...s, [f.name]: v })); }}
            ...${fieldAttrs(errors, f.name, f.id, f.hint ? `${f.id}-hint` : undefined)} />
          ${f.hint && html`<p class="hint" id=${`${f.id}-hint`}>${f.hint}</p>`}
          ${own ? html`<p class="field-error" id=${`${f.id}-error`}>${t(own)} (${e.code})</p>`
            : html`<${FieldError} errors=${errors} name=${f.name} id=${f.id} />`}
        </div>`;
      })}
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${submitLabel}</button>
        <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
      </div>
    </form>
  </${Dialog}>`;
}

function Section({ id, title, action, hint, children }) {
  return html`<section aria-labelledby=${id} class="program-section">
    <div class="inline section-head">
      <h2 id=${id}>${title}</h2>
      ${action}
    </div>
    ${hint && html`<p class="hint">${hint}</p>`}
    ${children}
  </section>`;
}

// What a fetched list shows: loading, failure, empty, or render(data).
function listState(res, emptyText, render) {
  if (res.error) return html`<${Failed} error=${res.error} onRetry=${res.reload} />`;
  if (res.loading && !res.data) return html`<${Loading} rows=${2} />`;
  if (res.data.length === 0) return html`<${Empty}>${emptyText}</${Empty}>`;
  return render(res.data);
}

function LandingPages({ program }) {
  const pages = useResource((signal) => api.all(`/programs/${program.id}/landing-pages`, { signal }), [program.id]);
  const [adding, setAdding] = useState(false);
  const col = (k) => t(`programs.pageCol.${k}`);
  return html`<${Section} id="pg-pages" title=${t('programs.pages')} hint=${t('programs.pagesHint')}
      action=${html`<button type="button" onClick=${() => setAdding(true)}>${t('programs.addPage')}</button>`}>
    <div aria-busy=${pages.loading ? 'true' : 'false'}>
      ${listState(pages, html`<p>${t('programs.pagesEmpty')}</p><p>${t('programs.pagesEmptyNext')}</p>`,
        (list) => html`<div class="table-wrap"><table role="table" aria-labelledby="pg-pages" class="stack">
          <thead role="rowgroup"><tr role="row">
            <th role="columnheader" scope="col">${col('name')}</th>
            <th role="columnheader" scope="col">${col('url')}</th>
            <th role="columnheader" scope="col">${col('created')}</th>
          </tr></thead>
          <tbody role="rowgroup">${list.map((lp) => html`<tr role="row" key=${lp.id}>
            <th role="rowheader" scope="row">${lp.name}</th>
            <td role="cell" class="url" data-label=${col('url')}>${lp.url}
              ${!permitted(lp.url, program.permitted_domains) && html`<br /><span class="badge off-domain">${t('programs.offDomain')}</span>`}</td>
            <td role="cell" data-label=${col('created')}>${formatTime(lp.created_at)}</td>
          </tr>`)}</tbody>
        </table></div>`)}
    </div>
    <${SmallFormDialog} open=${adding} onClose=${() => setAdding(false)} title=${t('programs.addPage')}
      submitLabel=${t('programs.addPage')}
      fields=${[
        { name: 'name', id: 'pg-page-name', label: t('programs.pageName') },
        { name: 'url', id: 'pg-page-url', label: t('programs.pageUrl'), inputmode: 'url',
          hint: t('programs.pageUrlHint', { domains: program.permitted_domains.join(', ') }) },
      ]}
      submit=${async (v) => {
        const lp = await api.post(`/programs/${program.id}/landing-pages`, { name: v.name, url: v.url });
        pages.reload();
        announce('programs.pageAdded', { name: lp.name });
      }} />
  </${Section}>`;
}

function Partners({ program }) {
  const partners = useResource((signal) => api.all(`/programs/${program.id}/partners`, { signal }), [program.id]);
  const [adding, setAdding] = useState(false);
  const col = (k) => t(`programs.partnerCol.${k}`);
  return html`<${Section} id="pg-partners" title=${t('programs.partners')} hint=${t('programs.partnersHint')}
      action=${html`<button type="button" onClick=${() => setAdding(true)}>${t('programs.addPartner')}</button>`}>
    <div aria-busy=${partners.loading ? 'true' : 'false'}>
      ${listState(partners, html`<p>${t('programs.partnersEmpty')}</p><p>${t('programs.partnersEmptyNext')}</p>`,
        (list) => html`<div class="table-wrap"><table role="table" aria-labelledby="pg-partners" class="stack">
          <thead role="rowgroup"><tr role="row">
            <th role="columnheader" scope="col">${col('name')}</th>
            <th role="columnheader" scope="col" class="num">${col('id')}</th>
            <th role="columnheader" scope="col">${col('email')}</th>
            <th role="columnheader" scope="col">${col('joined')}</th>
          </tr></thead>
          <tbody role="rowgroup">${list.map((m) => html`<tr role="row" key=${m.partner_id}>
            <th role="rowheader" scope="row">${m.name}</th>
            <td role="cell" class="num" data-label=${col('id')}>${m.partner_id}</td>
            <td role="cell" class="wrap" data-label=${col('email')}>${m.email}</td>
            <td role="cell" data-label=${col('joined')}>${formatTime(m.joined_at)}</td>
          </tr>`)}</tbody>
        </table></div>`)}
    </div>
    <${SmallFormDialog} open=${adding} onClose=${() => setAdding(false)} title=${t('programs.addPartner')}
      submitLabel=${t('programs.addPartner')}
      fields=${[{ name: 'partner_id', id: 'pg-partner-id', label: t('programs.partnerId'), inputmode: 'numeric',
        hint: t('programs.partnerIdHint'), pattern: /^[1-9]\d{0,15}$/ }]}
      custom=${{ 'partner_id:not_found': 'programs.partnerNotFound' }}
      submit=${async (v) => {
        const before = (partners.data || []).some((m) => String(m.partner_id) === v.partner_id);
        const m = await api.post(`/programs/${program.id}/partners`, { partner_id: Number(v.partner_id) });
        partners.reload();
        announce(before ? 'programs.partnerAlready' : 'programs.partnerAdded', { name: m.name });
      }} />
  </${Section}>`;
}

function RotateDialog({ open, program, onClose, onRotated }) {
  const [fresh, setFresh] = useState(null);
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (open) { setFresh(null); setErrors(NO_ERRORS); setBusy(false); } }, [open]);
  function close() { setFresh(null); onClose(); }
  async function rotate(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const p = await api.post(`/programs/${program.id}/postback-key`, {});
      setFresh(p);
      onRotated(p);
    } catch (err) {
      setErrors(toErrors(err));
    }
    setBusy(false);
  }
  return html`<${Dialog} open=${open} onClose=${close} className="wide"
      title=${fresh ? t('programs.rotatedTitle') : t('programs.rotateTitle', { name: program.name })}>
    ${fresh
      ? html`<div class="form">
          <p>${t('programs.rotatedText')}</p>
          <${KeyBox} id="pg-rotated-key" value=${fresh.postback_key} />
          <${PostbackExample} program=${fresh} keyValue=${fresh.postback_key} />
          <div class="actions"><button type="button" class="primary" onClick=${close}>${t('programs.done')}</button></div>
        </div>`
      : html`<form class="form" onSubmit=${rotate}>
          <${FormAlert} errors=${errors} />
          <p>${t('programs.rotateText', { prefix: maskKey(program.postback_key) })}</p>
          <div class="actions">
            <button type="submit" class="primary danger" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('programs.rotate')}</button>
            <button type="button" onClick=${close}>${t('common.cancel')}</button>
          </div>
        </form>`}
  </${Dialog}>`;
}

function PostbackKey({ program, onRotated }) {
  const [open, setOpen] = useState(false);
  return html`<${Section} id="pg-key" title=${t('programs.postbackKey')} hint=${t('programs.postbackKeyHint')}
      action=${html`<button type="button" onClick=${() => setOpen(true)}>${t('programs.rotate')}</button>`}>
    <p>${t('programs.keyStarts')} <code class="key-prefix">${maskKey(program.postback_key)}</code></p>
    <p class="hint">${t('programs.keyWhere')}</p>
    <${RotateDialog} open=${open} program=${program} onClose=${() => setOpen(false)} onRotated=${onRotated} />
  </${Section}>`;
}

function ProgramPage({ id }) {
  const res = useResource((signal) => api.get(`/programs/${id}`, { signal }), [id]);
  const [program, setProgram] = useState(null);
  useEffect(() => { if (res.data) setProgram(res.data); }, [res.data]);
  useEffect(() => { if (!res.loading) markReady('program'); }, [res.loading]);
  const p = program && String(program.id) === String(id) ? program : null;
  const crumbs = html`<nav aria-label=${t('programs.breadcrumb')} class="breadcrumb">
    <ol><li><a href="/app/programs">${t('programs.title')}</a></li>
      ${p && html`<li><a href=${`/app/programs/${p.id}`} aria-current="page">${p.name}</a></li>`}</ol>
  </nav>`;
  if (res.error && res.error.status === 404) {
    return html`<${Page} title=${t('programs.notFound')}>${crumbs}
      <${Empty}><p>${t('programs.notFoundText')}</p><a href="/app/programs">${t('programs.back')}</a></${Empty}>
    </${Page}>`;
  }
  let content;
  if (res.error) content = html`<${Failed} error=${res.error} onRetry=${res.reload} />`;
  else if (!p) content = html`<${Loading} rows=${8} />`;
  else {
    content = html`
      <p class="inline program-links">
        <a href=${`/app/campaigns?status=active&program_id=${p.id}`}>${t('programs.campaigns')}</a>
        <a href=${`/app/campaigns/new?program_id=${p.id}`}>${t('programs.newCampaign')}</a>
      </p>
      <${Section} id="pg-settings" title=${t('programs.settings')}>
        <${ProgramForm} prefix="pge" initial=${p} submitLabel=${t('programs.save')}
          onSubmit=${async (body) => {
            const saved = await api.patch(`/programs/${p.id}`, body);
            setProgram(saved);
            announce('programs.saved', { name: saved.name });
          }} />
      </${Section}>
      <${LandingPages} program=${p} />
      <${Partners} program=${p} />
      <${PostbackKey} program=${p} onRotated=${(np) => setProgram(np)} />`;
  }
  return html`<${Page} title=${p ? p.name : t('programs.program')}>
    ${crumbs}
    <div aria-busy=${res.loading ? 'true' : 'false'}>${content}</div>
  </${Page}>`;
}

export default function Programs({ params }) {
  // an id that is not a number is the server's 404, shown as such
  if (params && params.id) return html`<${ProgramPage} id=${encodeURIComponent(params.id)} />`;
  return html`<${ProgramList} />`;
}
