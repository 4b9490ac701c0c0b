// manage.mjs: Manage campaign, /app/campaigns/{id}/{tab} (brand). The h1
// is the campaign's name; the tablist Campaign: Overview (the facts,
// Activate, Pause, End campaign with a confirmation, an alert while
// tracking is off), Tasks (the table Tasks, Create task in a dialog),
// Partners (the campaign's partners, Add partner in a dialog), Links (the
// Links screen with the campaign fixed), Reports (ReportsPanel, loaded
// when first shown) and Settings (name, tracking, landing pages, payout:
// PATCH /campaigns/{id}). A tab is a path, so that it can be linked to;
// changing tabs keeps the focus on the tablist.
import { html, useEffect, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { currencyDigits, formatDate, parseMoney, parseRate, t, zone } from './lib/i18n.mjs';
import { navigate } from './lib/router.mjs';
import { Dialog } from './lib/dialogs.mjs';
import {
  Empty, Failed, FieldError, FormAlert, Loading, NO_ERRORS, Page, TabPanel, Tabs, announce,
  describe, fieldAttrs, fieldError, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';
import { addDays, isDate, localMidnight } from './lib/zoned.mjs';
import { payoutLabel, trackingLabel } from './campaigns.mjs';
import { LinksView } from './links.mjs';

const TABS = ['overview', 'tasks', 'partners', 'links', 'reports', 'settings'];
const MODES = ['partner_choice', 'brand_selected', 'program_default'];

// ---- Overview

function Overview({ campaign, program, onChange }) {
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  const [ending, setEnding] = useState(false);
  const pages = useResource((signal) => (campaign.tracking.landing_page_mode === 'brand_selected'
    ? api.all(`/programs/${campaign.program_id}/landing-pages`, { signal }) : Promise.resolve([])),
  [campaign.id, campaign.tracking.landing_page_mode]);
  async function setStatus(status) {
    setBusy(status);
    setError(null);
    try {
      const c = await api.patch(`/campaigns/${campaign.id}`, { status });
      setEnding(false);
      onChange(c);
      announce('manage.statusChanged', { status: t(`status.${c.status}`) });
    } catch (err) {
      setError(err);
    }
    setBusy(null);
  }
  const s = campaign.status;
  const btn = (status, key, enabled, onClick) => html`<button type="button" class=${status === 'active' ? 'primary' : ''}
    disabled=${!enabled || busy !== null} aria-busy=${busy === status ? 'true' : undefined}
    onClick=${onClick || (() => setStatus(status))}>${t(key)}</button>`;
  const selected = new Set(campaign.tracking.landing_page_ids || []);
  return html`<div class="overview">
    ${!campaign.tracking.enabled && html`<div role="alert" class="alert">${describe({ code: 'tracking_disabled' })}
      ${' '}${t('manage.trackingOff')} <a href=${`/app/campaigns/${campaign.id}/settings`}>${t('manage.toSettings')}</a></div>`}
    ${error && html`<div role="alert" class="alert">${describe(error)}</div>`}
    <dl class="facts">
      <div><dt>${t('manage.program')}</dt><dd>${program ? program.name : ''}</dd></div>
      <div><dt>${t('manage.status')}</dt><dd><span class="badge">${t(`status.${s}`)}</span></dd></div>
      <div><dt>${t('manage.tracking')}</dt><dd>${trackingLabel(campaign)}</dd></div>
      <div><dt>${t('manage.payout')}</dt><dd>${payoutLabel(campaign, program && program.currency)}</dd></div>
      ${campaign.tracking.landing_page_mode === 'brand_selected' && html`<div class="wide"><dt>${t('manage.landingPages')}</dt>
        <dd>${(pages.data || []).filter((p) => selected.has(p.id)).map((p) => html`<span class="code url-text" key=${p.id}>${p.name} — ${p.url}</span>`)}</dd></div>`}
    </dl>
    ${s !== 'active' && campaign.tracking.enabled && html`<p class="hint">${t('manage.notActive')}</p>`}
    <div class="actions">
      ${btn('active', 'manage.activate', s !== 'active')}
      ${btn('paused', 'manage.pause', s === 'active')}
      ${btn('ended', 'manage.end', s !== 'ended', () => setEnding(true))}
    </div>
    <${Dialog} open=${ending} onClose=${() => setEnding(false)} title=${t('manage.endTitle')}>
      <form class="form" onSubmit=${(e) => { e.preventDefault(); setStatus('ended'); }}>
        ${error && html`<div role="alert" class="alert">${describe(error)}</div>`}
        <p>${t('manage.endText')}</p>
        <div class="actions">
          <button type="submit" class="primary danger" disabled=${busy !== null} aria-busy=${busy === 'ended' ? 'true' : undefined}>${t('manage.end')}</button>
          <button type="button" onClick=${() => setEnding(false)}>${t('common.cancel')}</button>
        </div>
      </form>
    </${Dialog}>
  </div>`;
}

// ---- Tasks

function CreateTask({ open, campaign, members, onClose, onCreated }) {
  const [form, setForm] = useState({ title: '', description: '', due: '', partners: [] });
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  useEffect(() => {
    if (open) { setForm({ title: '', description: '', due: '', partners: [] }); setErrors(NO_ERRORS); setBusy(false); }
  }, [open]);
  // an edit takes its field's error away
  const set = (k) => (e) => {
    const v = e.currentTarget.value;
    setForm((f) => ({ ...f, [k]: v }));
    if (errors.fields[k]) setErrors(NO_ERRORS);
  };
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    if (!form.title.trim()) return setErrors(fieldError('title', 'missing_field'));
    const body = { title: form.title.trim(), partner_ids: form.partners };
    if (form.description.trim()) body.description = form.description;
    if (form.due.trim()) {
      const d = form.due.trim();
      if (!isDate(d)) return setErrors(fieldError('due', 'invalid_value'));
      // the end of that day in the chosen zone
      body.due_at = new Date(localMidnight(addDays(d, 1), zone()) - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const task = await api.post(`/campaigns/${campaign.id}/tasks`, body);
      setBusy(false);
      onCreated(task);
    } catch (err) {
      setBusy(false);
      setErrors(toErrors(err, { title: 'title', description: 'description', due_at: 'due', partner_ids: 'partners' }));
    }
  }
  const toggle = (id, on) => setForm((f) => ({ ...f, partners: on ? [...f.partners, id] : f.partners.filter((x) => x !== id) }));
  return html`<${Dialog} open=${open} onClose=${onClose} title=${t('manage.createTask')}>
    <form class="form" ref=${formRef} onSubmit=${submit} novalidate>
      <${FormAlert} errors=${errors} />
      <div class="field">
        <label for="ct-title">${t('manage.taskTitle')}</label>
        <input id="ct-title" type="text" maxlength="200" value=${form.title} onInput=${set('title')}
          ...${fieldAttrs(errors, 'title', 'ct-title')} />
        <${FieldError} errors=${errors} name="title" id="ct-title" />
      </div>
      <div class="field">
        <label for="ct-desc">${t('manage.taskDescription')}</label>
        <textarea id="ct-desc" rows="3" value=${form.description} onInput=${set('description')}
          ...${fieldAttrs(errors, 'description', 'ct-desc')}></textarea>
        <${FieldError} errors=${errors} name="description" id="ct-desc" />
      </div>
      <div class="field">
        <label for="ct-due">${t('manage.taskDue')}</label>
        <input id="ct-due" type="text" inputmode="numeric" placeholder="YYYY-MM-DD" autocomplete="off" value=${form.due}
          onInput=${set('due')} ...${fieldAttrs(errors, 'due', 'ct-due', 'ct-due-hint')} />
        <p class="hint" id="ct-due-hint">${t('manage.taskDueHint')}</p>
        <${FieldError} errors=${errors} name="due" id="ct-due" />
      </div>
      <fieldset id="ct-partners" aria-labelledby="ct-partners-legend">
        <legend id="ct-partners-legend">${t('manage.taskPartners')}</legend>
        ${members.length === 0
          ? html`<p class="hint">${t('manage.taskNoPartners')}</p>`
          : members.map((m) => html`<label class="choice" key=${m.partner_id}>
              <input type="checkbox" checked=${form.partners.includes(m.partner_id)}
                ...${fieldAttrs(errors, 'partners', 'ct-partners')}
                onChange=${(e) => toggle(m.partner_id, e.currentTarget.checked)} /><span>${m.name}</span></label>`)}
        <${FieldError} errors=${errors} name="partners" id="ct-partners" />
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('manage.createTask')}</button>
        <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
      </div>
    </form>
  </${Dialog}>`;
}

function TasksTab({ campaign }) {
  const tasks = useResource((signal) => api.all(`/campaigns/${campaign.id}/tasks`, { signal }), [campaign.id]);
  const members = useResource((signal) => api.all(`/campaigns/${campaign.id}/partners`, { signal }), [campaign.id]);
  const [creating, setCreating] = useState(false);
  const names = new Map((members.data || []).map((m) => [m.partner_id, m.name]));
  let content;
  if (tasks.error || members.error) {
    content = html`<${Failed} error=${tasks.error || members.error} onRetry=${() => { tasks.reload(); members.reload(); }} />`;
  } else if (!tasks.data || !members.data) {
    content = html`<${Loading} rows=${4} />`;
  } else if (tasks.data.length === 0) {
    content = html`<${Empty}><p>${t('manage.noTasks')}</p><p>${t('manage.noTasksNext')}</p></${Empty}>`;
  } else {
    const col = (k) => t(`manage.col.${k}`);
    content = html`<div class="table-wrap"><table role="table" aria-label=${t('manage.tasksTable')} class="stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${col('title')}</th>
        <th role="columnheader" scope="col">${col('due')}</th>
        <th role="columnheader" scope="col">${col('partners')}</th>
        <th role="columnheader" scope="col"><span class="sr-only">${t('common.actions')}</span></th>
      </tr></thead>
      <tbody role="rowgroup">${tasks.data.map((k) => html`<tr role="row" key=${k.id}>
        <th role="rowheader" scope="row">${k.title}</th>
        <td role="cell" data-label=${col('due')}>${k.due_at ? formatDate(k.due_at) : '—'}</td>
        <td role="cell" class="wrap" data-label=${col('partners')}>${k.partner_ids.map((id) => names.get(id) || `#${id}`).join(', ') || '—'}</td>
        <td role="cell"><a href=${`/app/tasks/${k.id}`}>${t('manage.viewTask')}</a></td>
      </tr>`)}</tbody>
    </table></div>`;
  }
  return html`<div class="tab-actions">
      <button type="button" class="primary" onClick=${() => setCreating(true)}>${t('manage.createTask')}</button>
    </div>
    <div aria-busy=${tasks.loading ? 'true' : 'false'}>${content}</div>
    <${CreateTask} open=${creating} campaign=${campaign} members=${members.data || []}
      onClose=${() => setCreating(false)}
      onCreated=${() => { setCreating(false); tasks.reload(); announce('manage.taskCreated'); }} />`;
}

// ---- Partners

function AddPartner({ open, campaign, members, onClose, onAdded }) {
  const all = useResource((signal) => (open ? api.all(`/programs/${campaign.program_id}/partners`, { signal }) : Promise.resolve(null)), [open]);
  const have = new Set(members.map((m) => m.partner_id));
  const free = (all.data || []).filter((m) => !have.has(m.partner_id));
  const [choice, setChoice] = useState('');
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  useEffect(() => { if (open) { setErrors(NO_ERRORS); setBusy(false); } }, [open]);
  useEffect(() => { setChoice(free.length ? String(free[0].partner_id) : ''); }, [all.data]);
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const m = await api.post(`/campaigns/${campaign.id}/partners`, { partner_id: Number(choice) });
      setBusy(false);
      onAdded(m);
    } catch (err) {
      setBusy(false);
      setErrors(toErrors(err, { partner_id: 'partner' }));
    }
  }
  return html`<${Dialog} open=${open} onClose=${onClose} title=${t('manage.addPartner')}>
    ${all.loading ? html`<${Loading} rows=${2} />`
      : all.error ? html`<${Failed} error=${all.error} onRetry=${all.reload} />`
      : free.length === 0 ? html`<div class="form"><p>${t('manage.noneToAdd')}</p>
          <div class="actions"><a class="button primary" href="/app/programs">${t('campaigns.toPrograms')}</a>
            <button type="button" onClick=${onClose}>${t('common.close')}</button></div></div>`
      : html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
          <${FormAlert} errors=${errors} />
          <div class="field">
            <label for="ap-partner">${t('manage.partner')}</label>
            <select id="ap-partner" value=${choice} onChange=${(e) => setChoice(e.currentTarget.value)}
              ...${fieldAttrs(errors, 'partner', 'ap-partner')}>
              ${free.map((m) => html`<option key=${m.partner_id} value=${String(m.partner_id)}>${m.name}</option>`)}
            </select>
            <${FieldError} errors=${errors} name="partner" id="ap-partner" />
          </div>
          <div class="actions">
            <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('manage.addPartner')}</button>
            <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
          </div>
        </form>`}
  </${Dialog}>`;
}

function PartnersTab({ campaign }) {
  const members = useResource((signal) => api.all(`/campaigns/${campaign.id}/partners`, { signal }), [campaign.id]);
  const [adding, setAdding] = useState(false);
  let content;
  if (members.error) content = html`<${Failed} error=${members.error} onRetry=${members.reload} />`;
  else if (!members.data) content = html`<${Loading} rows=${3} />`;
  else if (members.data.length === 0) {
    content = html`<${Empty}><p>${t('manage.noPartners')}</p><p>${t('manage.noPartnersNext')}</p></${Empty}>`;
  } else {
    const col = (k) => t(`manage.col.${k}`);
    content = html`<div class="table-wrap"><table role="table" aria-label=${t('manage.partnersTable')} class="stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${col('name')}</th>
        <th role="columnheader" scope="col">${col('email')}</th>
        <th role="columnheader" scope="col">${col('joined')}</th>
      </tr></thead>
      <tbody role="rowgroup">${members.data.map((m) => html`<tr role="row" key=${m.partner_id}>
        <th role="rowheader" scope="row">${m.name}</th>
        <td role="cell" data-label=${col('email')}>${m.email}</td>
        <td role="cell" data-label=${col('joined')}>${formatDate(m.joined_at)}</td>
      </tr>`)}</tbody>
    </table></div>`;
  }
  return html`<div class="tab-actions">
      <button type="button" class="primary" onClick=${() => setAdding(true)}>${t('manage.addPartner')}</button>
    </div>
    <div aria-busy=${members.loading ? 'true' : 'false'}>${content}</div>
    <${AddPartner} open=${adding} campaign=${campaign} members=${members.data || []} onClose=${() => setAdding(false)}
      onAdded=${(m) => { setAdding(false); members.reload(); announce('manage.partnerAdded', { name: m.name }); }} />`;
}

// ---- Reports

let reportsModule = null;
function ReportsTab({ campaign }) {
  const [mod, setMod] = useState(reportsModule);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (mod) return;
    import('./reports.mjs').then((m) => { reportsModule = m; setMod(m); }, setError);
  }, []);
  if (error) return html`<${Failed} error=${{ code: 'network_error', detail: String(error.message || error) }} onRetry=${() => location.reload()} />`;
  if (!mod) return html`<${Loading} rows=${6} />`;
  const Panel = mod.ReportsPanel;
  return html`<${Panel} campaignId=${campaign.id} programId=${campaign.program_id} />`;
}

// ---- Settings

const FIELDS = {
  name: 'name',
  tracking: 'tracking',
  'tracking.enabled': 'tracking',
  'tracking.landing_page_mode': 'mode',
  'tracking.landing_page_ids': 'pages',
  payout: 'payoutType',
  'payout.type': 'payoutType',
  'payout.amount': 'amount',
  'payout.rate_bp': 'rate',
};

function majorUnits(minor, currency) {
  const d = currencyDigits(currency);
  return d ? (minor / 10 ** d).toFixed(d) : String(minor);
}

function SettingsTab({ campaign, program, onChange }) {
  const currency = program ? program.currency : 'USD';
  const initial = () => ({
    name: campaign.name, tracking: campaign.tracking.enabled, mode: campaign.tracking.landing_page_mode,
    pages: campaign.tracking.landing_page_ids || [], payoutType: campaign.payout.type,
    amount: campaign.payout.type === 'fixed' ? majorUnits(campaign.payout.amount, currency) : '',
    rate: campaign.payout.type === 'percent' ? String(campaign.payout.rate_bp / 100) : '',
  });
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  const pages = useResource((signal) => api.all(`/programs/${campaign.program_id}/landing-pages`, { signal }), [campaign.program_id]);
  const set = (k) => (e) => {
    const el = e.currentTarget;
    setForm((f) => ({ ...f, [k]: el.type === 'checkbox' ? el.checked : el.value }));
  };
  const togglePage = (id, on) => setForm((f) => ({ ...f, pages: on ? [...f.pages, id] : f.pages.filter((x) => x !== id) }));
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    if (!form.name.trim()) return setErrors(fieldError('name', 'missing_field'));
    const payout = { type: form.payoutType };
    if (form.payoutType === 'fixed') {
      payout.amount = parseMoney(form.amount, currency);
      if (form.amount.trim() === '') return setErrors(fieldError('amount', 'missing_field'));
      if (payout.amount === null) return setErrors(fieldError('amount', 'invalid_value'));
    } else {
      payout.rate_bp = parseRate(form.rate);
      if (form.rate.trim() === '') return setErrors(fieldError('rate', 'missing_field'));
      if (payout.rate_bp === null) return setErrors(fieldError('rate', 'invalid_value'));
    }
    const body = {
      name: form.name.trim(),
      tracking: { enabled: form.tracking, landing_page_mode: form.mode, landing_page_ids: form.mode === 'brand_selected' ? form.pages : [] },
      payout,
    };
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const c = await api.patch(`/campaigns/${campaign.id}`, body);
      setBusy(false);
      onChange(c);
      announce('manage.saved');
    } catch (err) {
      setBusy(false);
      setErrors(toErrors(err, FIELDS));
    }
  }
  return html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
    <${FormAlert} errors=${errors} />
    <div class="field">
      <label for="ms-name">${t('campaignNew.name')}</label>
      <input id="ms-name" type="text" maxlength="200" value=${form.name} onInput=${set('name')} ...${fieldAttrs(errors, 'name', 'ms-name')} />
      <${FieldError} errors=${errors} name="name" id="ms-name" />
    </div>
    <label class="choice">
      <input id="ms-tracking" type="checkbox" checked=${form.tracking} onChange=${set('tracking')} ...${fieldAttrs(errors, 'tracking', 'ms-tracking')} />
      <span>${t('campaignNew.tracking')}</span>
    </label>
    <${FieldError} errors=${errors} name="tracking" id="ms-tracking" />
    <fieldset role="radiogroup" aria-labelledby="ms-mode-legend" id="ms-mode" ...${fieldAttrs(errors, 'mode', 'ms-mode')}>
      <legend id="ms-mode-legend">${t('campaignNew.mode')}</legend>
      ${MODES.map((m) => html`<label class="choice" key=${m}>
        <input type="radio" name="ms-mode" value=${m} checked=${form.mode === m} onChange=${set('mode')} />
        <span>${t(`campaignNew.mode.${m}`)}</span></label>`)}
      <${FieldError} errors=${errors} name="mode" id="ms-mode" />
    </fieldset>
    ${form.mode === 'brand_selected' && html`<fieldset id="ms-pages" aria-labelledby="ms-pages-legend">
      <legend id="ms-pages-legend">${t('campaignNew.landingPages')}</legend>
      ${pages.loading ? html`<${Loading} rows=${2} />`
        : pages.error ? html`<${Failed} error=${pages.error} onRetry=${pages.reload} />`
        : pages.data.length === 0 ? html`<p class="hint">${t('campaignNew.noLandingPages')}</p>`
        : pages.data.map((lp) => html`<label class="choice" key=${lp.id}>
            <input type="checkbox" checked=${form.pages.includes(lp.id)} ...${fieldAttrs(errors, 'pages', 'ms-pages')}
              onChange=${(e) => togglePage(lp.id, e.currentTarget.checked)} />
            <span>${lp.name} <span class="hint">${lp.url}</span></span></label>`)}
      <${FieldError} errors=${errors} name="pages" id="ms-pages" />
    </fieldset>`}
    <fieldset role="radiogroup" aria-labelledby="ms-payout-legend" id="ms-payout" ...${fieldAttrs(errors, 'payoutType', 'ms-payout')}>
      <legend id="ms-payout-legend">${t('campaignNew.payout')}</legend>
      <div class="inline">
        <label class="choice"><input type="radio" name="ms-payout" value="fixed" checked=${form.payoutType === 'fixed'}
          onChange=${set('payoutType')} /><span>${t('campaignNew.fixed')}</span></label>
        <label class="choice"><input type="radio" name="ms-payout" value="percent" checked=${form.payoutType === 'percent'}
          onChange=${set('payoutType')} /><span>${t('campaignNew.percent')}</span></label>
      </div>
      <${FieldError} errors=${errors} name="payoutType" id="ms-payout" />
      ${form.payoutType === 'fixed'
        ? html`<div class="field">
            <label for="ms-amount">${t('campaignNew.amount')}</label>
            <input id="ms-amount" type="text" inputmode="decimal" autocomplete="off" value=${form.amount}
              onInput=${set('amount')} ...${fieldAttrs(errors, 'amount', 'ms-amount', 'ms-amount-hint')} />
            <p class="hint" id="ms-amount-hint">${t('campaignNew.amountHint', { currency })}</p>
            <${FieldError} errors=${errors} name="amount" id="ms-amount" />
          </div>`
        : html`<div class="field">
            <label for="ms-rate">${t('campaignNew.rate')}</label>
            <input id="ms-rate" type="text" inputmode="decimal" autocomplete="off" value=${form.rate}
              onInput=${set('rate')} ...${fieldAttrs(errors, 'rate', 'ms-rate', 'ms-rate-hint')} />
            <p class="hint" id="ms-rate-hint">${t('campaignNew.rateHint')}</p>
            <${FieldError} errors=${errors} name="rate" id="ms-rate" />
          </div>`}
    </fieldset>
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('manage.save')}</button>
    </div>
  </form>`;
}

// ---- the screen

export default function ManageCampaign({ params }) {
  const id = params.id;
  const tab = TABS.includes(params.tab) ? params.tab : null;
  useEffect(() => {
    if (!tab) navigate(`/app/campaigns/${id}/overview`, { replace: true, sameScreen: true });
  }, [tab, id]);
  const loaded = useResource(async (signal) => {
    const campaign = await api.get(`/campaigns/${id}`, { signal });
    const program = await api.get(`/programs/${campaign.program_id}`, { signal });
    return { campaign, program };
  }, [id]);
  const [override, setOverride] = useState(null);
  useEffect(() => setOverride(null), [loaded.data]);
  const campaign = override || (loaded.data && loaded.data.campaign);
  const program = loaded.data && loaded.data.program;
  useEffect(() => { if (campaign) markReady('manage'); }, [!!campaign]);

  if (loaded.error) {
    return html`<${Page} title=${t('campaigns.manage')}><${Failed} error=${loaded.error} onRetry=${loaded.reload} /></${Page}>`;
  }
  if (!campaign) return html`<${Page} title=${t('campaigns.manage')}><div aria-busy="true"><${Loading} rows=${6} /></div></${Page}>`;
  const sel = tab || 'overview';
  const items = TABS.map((x) => ({ id: x, label: t(`manage.tab.${x}`) }));
  let panel;
  if (sel === 'overview') panel = html`<${Overview} campaign=${campaign} program=${program} onChange=${setOverride} />`;
  else if (sel === 'tasks') panel = html`<${TasksTab} campaign=${campaign} />`;
  else if (sel === 'partners') panel = html`<${PartnersTab} campaign=${campaign} />`;
  else if (sel === 'links') panel = html`<${LinksView} campaignId=${campaign.id} />`;
  else if (sel === 'reports') panel = html`<${ReportsTab} campaign=${campaign} />`;
  else panel = html`<${SettingsTab} key=${campaign.updated_at} campaign=${campaign} program=${program} onChange=${setOverride} />`;
  return html`<${Page} title=${campaign.name}>
    <nav aria-label=${t('manage.breadcrumb')} class="breadcrumb"><ol>
      <li><a href=${`/app/campaigns?status=${campaign.status}`}>${t('nav.campaigns')}</a></li>
      <li><a href=${`/app/campaigns/${campaign.id}/${sel}`} aria-current="page">${campaign.name}</a></li>
    </ol></nav>
    <${Tabs} id="mc" label=${t('manage.tabs')} items=${items} selected=${sel}
      onSelect=${(x) => navigate(`/app/campaigns/${campaign.id}/${x}`, { sameScreen: true })} />
    <${TabPanel} id="mc" selected=${sel}>${panel}</${TabPanel}>
  </${Page}>`;
}
