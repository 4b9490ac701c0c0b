// task.mjs: Task details, /app/tasks/{id}, for a brand and for a partner.
// The region Assigned partners (a brand assigns more: POST
// /tasks/{id}/partners), the region Tracking link (the link generator:
// the landing page as the campaign's mode says, Short or Regular, the
// Advanced sub ids, Create link → POST /tasks/{id}/links, the link shown
// with Copy and QR code), then the table Links of the task.
//
// What the generator needs comes from GET /tasks/{id}, /campaigns/{id},
// and for a brand /programs/{id} and its landing pages; a partner may read
// neither, and gets the program's default and domains and the campaign's
// pages from their GET /me/tasks item. In program_default mode the page
// makes the link itself (the create is idempotent: 200 with the link that
// assigning the partner made) whenever the partner or the type changes.
import { html, useEffect, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatDate, t } from './lib/i18n.mjs';
import { Dialog } from './lib/dialogs.mjs';
import {
  Failed, FieldError, FormAlert, Loading, NO_ERRORS, Page, announce, copyText, describe,
  fieldAttrs, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';
import { LinksTable, NoLinks, QrDialog, useLinkStats } from './linkparts.mjs';

const LP_CODES = ['landing_page_required', 'landing_page_invalid', 'landing_page_not_permitted'];
const SUBS = ['sub_id1', 'sub_id2', 'sub_id3', 'shared_id'];

async function loadTask(id, session, signal) {
  const task = await api.get(`/tasks/${id}`, { signal });
  if (session.account.kind === 'partner') {
    const mine = await api.all('/me/tasks', { signal });
    const item = mine.find((x) => x.id === task.id);
    if (!item) throw Object.assign(new Error('not found'), { code: 'not_found' });
    return {
      task, campaign: item.campaign, program: item.program,
      pages: item.campaign.landing_pages || [],
      assigned: [{ partner_id: session.account.id, name: session.account.name }],
    };
  }
  const [campaign, program, all, assigned] = await Promise.all([
    api.get(`/campaigns/${task.campaign_id}`, { signal }),
    api.get(`/programs/${task.program_id}`, { signal }),
    api.all(`/programs/${task.program_id}/landing-pages`, { signal }),
    api.all(`/tasks/${task.id}/partners`, { signal }),
  ]);
  const byId = new Map(all.map((p) => [p.id, p]));
  const pages = (campaign.tracking.landing_page_ids || []).map((i) => byId.get(i)).filter(Boolean);
  return { task, campaign, program, pages, assigned };
}

// Why no link can be made now, as the API would say: null when one can.
export function blockedBy(campaign) {
  if (!campaign.tracking || !campaign.tracking.enabled) return 'tracking_disabled';
  if (campaign.status !== 'active') return 'campaign_not_active';
  return null;
}

function AssignDialog({ open, ctx, onClose, onDone }) {
  const members = useResource((signal) => (open
    ? api.all(`/campaigns/${ctx.task.campaign_id}/partners`, { signal }) : Promise.resolve(null)), [open]);
  const [choice, setChoice] = useState('');
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  const have = new Set(ctx.assigned.map((a) => a.partner_id));
  const free = (members.data || []).filter((m) => !have.has(m.partner_id));
  useEffect(() => { if (open) { setErrors(NO_ERRORS); setBusy(false); } }, [open]);
  useEffect(() => { setChoice(free.length ? String(free[0].partner_id) : ''); }, [members.data]);
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await api.post(`/tasks/${ctx.task.id}/partners`, { partner_id: Number(choice) });
      setBusy(false);
      onDone(free.find((m) => String(m.partner_id) === choice));
    } catch (err) {
      setBusy(false);
      setErrors(toErrors(err, { partner_id: 'partner' }));
    }
  }
  return html`<${Dialog} open=${open} onClose=${onClose} title=${t('task.assign')}>
    ${members.loading ? html`<${Loading} rows=${2} />`
      : members.error ? html`<${Failed} error=${members.error} onRetry=${members.reload} />`
      : free.length === 0 ? html`<div class="form">
          <p>${t('task.noneToAssign')}</p>
          <div class="actions">
            <a class="button primary" href=${`/app/campaigns/${ctx.task.campaign_id}/partners`}>${t('task.toPartners')}</a>
            <button type="button" onClick=${onClose}>${t('common.close')}</button>
          </div></div>`
      : html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
          <${FormAlert} errors=${errors} />
          <div class="field">
            <label for="ta-partner">${t('task.partner')}</label>
            <select id="ta-partner" value=${choice} onChange=${(e) => setChoice(e.currentTarget.value)}
              ...${fieldAttrs(errors, 'partner', 'ta-partner')}>
              ${free.map((m) => html`<option key=${m.partner_id} value=${String(m.partner_id)}>${m.name}</option>`)}
            </select>
            <${FieldError} errors=${errors} name="partner" id="ta-partner" />
          </div>
          <div class="actions">
            <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('task.assign')}</button>
            <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
          </div>
        </form>`}
  </${Dialog}>`;
}

function Generator({ ctx, brand, onCreated }) {
  const { campaign, program, pages, assigned } = ctx;
  const mode = campaign.tracking.landing_page_mode;
  const [partnerId, setPartnerId] = useState(assigned.length === 1 ? String(assigned[0].partner_id) : '');
  const [kind, setKind] = useState('short');
  const [url, setUrl] = useState('');
  const [pageId, setPageId] = useState(pages.length === 1 ? String(pages[0].id) : '');
  const [advanced, setAdvanced] = useState(false);
  const [subs, setSubs] = useState({ sub_id1: '', sub_id2: '', sub_id3: '', shared_id: '' });
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(NO_ERRORS);
  const [blocked, setBlocked] = useState(blockedBy(campaign));
  const [qr, setQr] = useState(null);
  const formRef = useRef(null);
  const linkRef = useRef(null);
  const seq = useRef(0);
  useFocusInvalid(formRef, errors);

  // the partner may have been assigned since: keep the choice when it is still there
  useEffect(() => {
    if (assigned.length === 1 && !partnerId) setPartnerId(String(assigned[0].partner_id));
  }, [assigned]);

  function changed(fn) {
    return (e) => { fn(e.currentTarget.value); setResult(null); setErrors(NO_ERRORS); };
  }

  function fieldOf(err) {
    if (mode === 'partner_choice' && LP_CODES.includes(err.code)) return 'url';
    if (mode === 'brand_selected' && (err.code === 'landing_page_not_selected' || LP_CODES.includes(err.code))) return 'page';
    if (brand && (err.code === 'partner_not_assigned' || err.field === 'partner_id')) return 'partner';
    if (SUBS.includes(err.field)) return err.field;
    return null;
  }

  async function create(auto = false) {
    if (busy && !auto) return;
    const n = ++seq.current;
    const body = { kind };
    if (brand && partnerId) body.partner_id = Number(partnerId);
    if (mode === 'partner_choice' && url.trim()) body.landing_page_url = url.trim();
    if (mode === 'brand_selected' && pageId) body.landing_page_id = Number(pageId);
    for (const k of SUBS) if (subs[k].trim()) body[k] = subs[k].trim();
    setBusy(true);
    setErrors(NO_ERRORS);
    setResult(null);
    try {
      const link = await api.post(`/tasks/${ctx.task.id}/links`, body);
      if (n !== seq.current) return;
      setResult(link);
      onCreated(link);
    } catch (err) {
      if (n !== seq.current) return;
      if (err.code === 'tracking_disabled' || err.code === 'campaign_not_active') setBlocked(err.code);
      else {
        const f = fieldOf(err);
        if (f && SUBS.includes(f)) setAdvanced(true);
        // a select's missing page is said as a choice to make, not a URL to type
        const message = f === 'page' && err.code === 'landing_page_required' ? t('task.choosePageError') : undefined;
        setErrors(f ? { fields: { [f]: { code: err.code, detail: err.detail, message } }, alert: null } : toErrors(err));
      }
    } finally {
      if (n === seq.current) setBusy(false);
    }
  }

  // program_default: the link is made without a click
  useEffect(() => {
    if (mode === 'program_default' && !blocked && (!brand || partnerId)) create(true);
  }, [partnerId, kind]);

  function submit(e) {
    e.preventDefault();
    if (!blocked) create();
  }

  const sub = (k, label) => html`<div class="field">
    <label for=${`tl-${k}`}>${label}</label>
    <input id=${`tl-${k}`} type="text" maxlength="255" autocomplete="off" value=${subs[k]}
      onInput=${changed((v) => setSubs((s) => ({ ...s, [k]: v })))} ...${fieldAttrs(errors, k, `tl-${k}`)} />
    <${FieldError} errors=${errors} name=${k} id=${`tl-${k}`} />
  </div>`;

  return html`<form class="form generator" ref=${formRef} onSubmit=${submit} novalidate>
    ${blocked && html`<div role="alert" class="alert">${describe({ code: blocked })}
      ${brand && html` <a href=${`/app/campaigns/${campaign.id}/${blocked === 'tracking_disabled' ? 'settings' : 'overview'}`}>${t(blocked === 'tracking_disabled' ? 'task.toSettings' : 'task.toOverview')}</a>`}</div>`}
    <${FormAlert} errors=${errors} />
    ${brand && html`<div class="field">
      <label for="tl-partner">${t('task.partner')}</label>
      <select id="tl-partner" value=${partnerId} onChange=${changed(setPartnerId)}
        ...${fieldAttrs(errors, 'partner', 'tl-partner', assigned.length ? undefined : 'tl-partner-hint')}>
        ${assigned.length !== 1 && html`<option value="">${t('task.choosePartner')}</option>`}
        ${assigned.map((a) => html`<option key=${a.partner_id} value=${String(a.partner_id)}>${a.name}</option>`)}
      </select>
      ${!assigned.length && html`<p class="hint" id="tl-partner-hint">${t('task.assignFirst')}</p>`}
      <${FieldError} errors=${errors} name="partner" id="tl-partner" />
    </div>`}

    ${mode === 'partner_choice' && html`<div class="field">
      <label for="tl-url">${t('task.landingUrl')}</label>
      <input id="tl-url" type="url" inputmode="url" autocomplete="off" spellcheck="false" value=${url}
        placeholder=${program && program.default_landing_page ? program.default_landing_page : 'https://'}
        onInput=${changed(setUrl)} ...${fieldAttrs(errors, 'url', 'tl-url', 'tl-url-hint')} />
      <p class="hint" id="tl-url-hint">${t('task.domains', { domains: program ? program.permitted_domains.join(', ') : '' })}</p>
      <${FieldError} errors=${errors} name="url" id="tl-url" />
    </div>`}
    ${mode === 'brand_selected' && html`<div class="field">
      <label for="tl-page">${t('task.landingPage')}</label>
      <select id="tl-page" value=${pageId} onChange=${changed(setPageId)} ...${fieldAttrs(errors, 'page', 'tl-page')}>
        ${pages.length !== 1 && html`<option value="">${t('task.choosePage')}</option>`}
        ${pages.map((p) => html`<option key=${p.id} value=${String(p.id)}>${`${p.name} — ${p.url}`}</option>`)}
      </select>
      <${FieldError} errors=${errors} name="page" id="tl-page" />
    </div>`}
    ${mode === 'program_default' && html`<div class="field">
      <label for="tl-default">${t('task.landingPage')}</label>
      <input id="tl-default" type="text" readonly value=${program ? program.default_landing_page : ''}
        aria-describedby="tl-default-hint" class="code" />
      <p class="hint" id="tl-default-hint">${t('task.automatic')}</p>
    </div>`}

    <fieldset role="radiogroup" aria-labelledby="tl-kind-legend">
      <legend id="tl-kind-legend">${t('task.linkType')}</legend>
      <div class="inline">
        ${['short', 'regular'].map((k) => html`<label class="choice" key=${k}>
          <input type="radio" name="tl-kind" value=${k} checked=${kind === k} onChange=${changed(setKind)} />
          <span>${t(`task.kind.${k}`)}</span></label>`)}
      </div>
    </fieldset>

    <div>
      <button type="button" class="disclosure" aria-expanded=${advanced ? 'true' : 'false'} aria-controls="tl-advanced"
        onClick=${() => setAdvanced((v) => !v)}>${t('task.advanced')}</button>
      <div id="tl-advanced" class="advanced" hidden=${!advanced}>
        ${sub('sub_id1', t('task.sub', { n: 1 }))}
        ${sub('sub_id2', t('task.sub', { n: 2 }))}
        ${sub('sub_id3', t('task.sub', { n: 3 }))}
        ${sub('shared_id', t('task.shared'))}
      </div>
    </div>

    <div class="actions">
      <button type="submit" class="primary" disabled=${!!blocked || busy} aria-busy=${busy ? 'true' : undefined}>
        ${t('task.create')}</button>
    </div>

    ${result && html`<div class="field result">
      <label for="tl-link">${t('task.trackingLink')}</label>
      <div class="copy-row">
        <input id="tl-link" type="text" readonly value=${result.url} ref=${linkRef} class="code"
          spellcheck="false" autocomplete="off" />
        <button type="button" onClick=${() => copyText(result.url, linkRef.current)}>${t('links.copy')}</button>
        <button type="button" onClick=${() => setQr(result)}>${t('links.qr')}</button>
      </div>
    </div>`}
    <${QrDialog} link=${qr} onClose=${() => setQr(null)} />
  </form>`;
}

export default function TaskDetails({ params, session }) {
  const brand = session.account.kind === 'brand';
  const ctx = useResource((signal) => loadTask(params.id, session, signal), [params.id]);
  const links = useResource((signal) => api.all(`/tasks/${params.id}/links`, { signal }), [params.id]);
  const stats = useLinkStats({ task_id: params.id }, [params.id]);
  const [assigning, setAssigning] = useState(false);
  const ready = !!ctx.data && !links.loading;
  useEffect(() => { if (ready) markReady('task'); }, [ready]);

  if (ctx.error) {
    const title = ctx.error.code === 'not_found' ? t('notFound.title') : t('task.title');
    return html`<${Page} title=${title}><${Failed} error=${ctx.error} onRetry=${ctx.reload} /></${Page}>`;
  }
  if (!ctx.data) return html`<${Page} title=${t('task.title')}><div aria-busy="true"><${Loading} rows=${8} /></div></${Page}>`;
  const c = ctx.data;
  const names = new Map(c.assigned.map((a) => [a.partner_id, a.name]));
  const partnerName = (id) => names.get(id) || `#${id}`;

  return html`<${Page} title=${c.task.title}>
    ${brand
      ? html`<nav aria-label=${t('manage.breadcrumb')} class="breadcrumb"><ol>
          <li><a href="/app/campaigns?status=active">${t('nav.campaigns')}</a></li>
          <li><a href=${`/app/campaigns/${c.campaign.id}/tasks`}>${c.campaign.name}</a></li>
          <li><a href=${`/app/tasks/${c.task.id}`} aria-current="page">${c.task.title}</a></li>
        </ol></nav>`
      : html`<p><a href="/app/tasks">${t('task.back')}</a></p>`}
    <dl class="facts">
      <div><dt>${t('task.campaign')}</dt><dd>${c.campaign.name}</dd></div>
      ${c.task.due_at && html`<div><dt>${t('task.due')}</dt><dd>${formatDate(c.task.due_at)}</dd></div>`}
      ${c.task.description && html`<div class="wide"><dt>${t('task.description')}</dt><dd class="pre">${c.task.description}</dd></div>`}
    </dl>

    <section aria-labelledby="tk-assigned" class="panel">
      <div class="inline section-head">
        <h2 id="tk-assigned">${t('task.assigned')}</h2>
        ${brand && html`<button type="button" onClick=${() => setAssigning(true)}>${t('task.assign')}</button>`}
      </div>
      ${c.assigned.length === 0
        ? html`<p class="muted">${t('task.noneAssigned')}</p>`
        : html`<ul class="names">${c.assigned.map((a) => html`<li key=${a.partner_id}>${a.name}</li>`)}</ul>`}
    </section>

    <section aria-labelledby="tk-link" class="panel">
      <h2 id="tk-link">${t('task.trackingLink')}</h2>
      <${Generator} key=${c.assigned.length} ctx=${c} brand=${brand}
        onCreated=${() => { links.reload(); }} />
    </section>

    <section aria-labelledby="tk-links">
      <h2 id="tk-links">${t('links.table')}</h2>
      <div aria-busy=${links.loading ? 'true' : 'false'}>
        ${links.error ? html`<${Failed} error=${links.error} onRetry=${links.reload} />`
          : !links.data ? html`<${Loading} rows=${3} />`
          : links.data.length === 0 ? html`<${NoLinks}><p>${t('task.noLinksNext')}</p></${NoLinks}>`
          : html`<${LinksTable} links=${links.data} partnerName=${partnerName} stats=${stats} brand=${brand}
              onChanged=${() => links.reload()} />`}
      </div>
    </section>
    ${brand && html`<${AssignDialog} open=${assigning} ctx=${c} onClose=${() => setAssigning(false)}
      onDone=${(m) => { setAssigning(false); announce('task.assignedDone', { name: m ? m.name : '' }); ctx.reload(); }} />`}
  </${Page}>`;
}
