// campaign_new.mjs: Create campaign, /app/campaigns/new[?program_id=].
// POST /api/v1/programs/{id}/campaigns with the name, status, tracking
// (enabled, one of the three landing-page modes, and in brand_selected
// the pages chosen from the program's) and the payout (a fixed amount in
// the program's currency, in major units, or a rate in % → rate_bp).
import { html, useEffect, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { parseMoney, parseRate, t } from './lib/i18n.mjs';
import { navigate, useLocation } from './lib/router.mjs';
import {
  Empty, Failed, FieldError, FormAlert, Loading, NO_ERRORS, Page, announce, fieldAttrs,
  fieldError, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';
import { STATUSES } from './campaigns.mjs';

const MODES = ['partner_choice', 'brand_selected', 'program_default'];

// API field → the form's field that shows its error
const FIELDS = {
  name: 'name',
  status: 'status',
  tracking: 'tracking',
  'tracking.enabled': 'tracking',
  'tracking.landing_page_mode': 'mode',
  'tracking.landing_page_ids': 'pages',
  payout: 'payoutType',
  'payout.type': 'payoutType',
  'payout.amount': 'amount',
  'payout.rate_bp': 'rate',
};

export default function CampaignNew() {
  const loc = useLocation();
  const programs = useResource((signal) => api.all('/programs', { signal }), []);
  const [form, setForm] = useState({
    name: '', programId: loc.query.get('program_id') || '', status: 'draft', tracking: true,
    mode: 'partner_choice', pages: [], payoutType: 'fixed', amount: '', rate: '',
  });
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  const set = (k) => (e) => {
    const el = e.currentTarget;
    setForm((f) => ({ ...f, [k]: el.type === 'checkbox' ? el.checked : el.value }));
  };

  // the program: the one asked for, else the first
  const list = programs.data || [];
  const program = list.find((p) => String(p.id) === form.programId) || list[0] || null;
  const pid = program ? String(program.id) : '';
  const pages = useResource(
    (signal) => (pid ? api.all(`/programs/${pid}/landing-pages`, { signal }) : Promise.resolve([])),
    [pid]);
  useEffect(() => { if (!programs.loading) markReady('campaign_new'); }, [programs.loading]);

  function togglePage(id, on) {
    setForm((f) => ({ ...f, pages: on ? [...f.pages, id] : f.pages.filter((x) => x !== id) }));
  }

  async function submit(e) {
    e.preventDefault();
    if (busy || !program) return;
    // what the browser can tell, in the form's order; the server says the rest
    if (form.name.trim() === '') return setErrors(fieldError('name', 'missing_field'));
    const payout = { type: form.payoutType };
    if (form.payoutType === 'fixed') {
      if (form.amount.trim() === '') return setErrors(fieldError('amount', 'missing_field'));
      payout.amount = parseMoney(form.amount, program.currency);
      if (payout.amount === null) return setErrors(fieldError('amount', 'invalid_value'));
    } else {
      if (form.rate.trim() === '') return setErrors(fieldError('rate', 'missing_field'));
      payout.rate_bp = parseRate(form.rate);
      if (payout.rate_bp === null) return setErrors(fieldError('rate', 'invalid_value'));
    }
    const body = {
      name: form.name.trim(),
      status: form.status,
      tracking: {
        enabled: form.tracking,
        landing_page_mode: form.mode,
        landing_page_ids: form.mode === 'brand_selected' ? form.pages : [],
      },
      payout,
    };
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const c = await api.post(`/programs/${program.id}/campaigns`, body);
      announce('campaignNew.created');
      navigate(`/app/campaigns?status=${c.status}`);
    } catch (err) {
      setErrors(toErrors(err, FIELDS));
      setBusy(false);
    }
  }

  let content;
  if (programs.error) {
    content = html`<${Failed} error=${programs.error} onRetry=${programs.reload} />`;
  } else if (programs.loading) {
    content = html`<div aria-busy="true"><${Loading} rows=${8} /></div>`;
  } else if (!program) {
    content = html`<${Empty}><p>${t('campaigns.noPrograms')}</p>
      <a href="/app/programs">${t('campaigns.toPrograms')}</a></${Empty}>`;
  } else {
    content = html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
      <${FormAlert} errors=${errors} />
      <div class="field">
        <label for="cn-name">${t('campaignNew.name')}</label>
        <input id="cn-name" type="text" required maxlength="200" value=${form.name} onInput=${set('name')}
          ...${fieldAttrs(errors, 'name', 'cn-name')} />
        <${FieldError} errors=${errors} name="name" id="cn-name" />
      </div>
      <div class="field">
        <label for="cn-program">${t('campaignNew.program')}</label>
        <select id="cn-program" value=${pid}
          onChange=${(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, programId: v, pages: [] })); }}>
          ${list.map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.name}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="cn-status">${t('campaignNew.status')}</label>
        <select id="cn-status" value=${form.status} onChange=${set('status')}
          ...${fieldAttrs(errors, 'status', 'cn-status')}>
          ${STATUSES.slice().sort((a, b) => (a === 'draft' ? -1 : b === 'draft' ? 1 : 0))
            .map((s) => html`<option key=${s} value=${s}>${t(`status.${s}`)}</option>`)}
        </select>
        <${FieldError} errors=${errors} name="status" id="cn-status" />
      </div>
      <label class="choice">
        <input id="cn-tracking" type="checkbox" checked=${form.tracking} onChange=${set('tracking')}
          ...${fieldAttrs(errors, 'tracking', 'cn-tracking')} />
        <span>${t('campaignNew.tracking')}</span>
      </label>
      <${FieldError} errors=${errors} name="tracking" id="cn-tracking" />

      <fieldset role="radiogroup" aria-labelledby="cn-mode-legend" id="cn-mode"
        ...${fieldAttrs(errors, 'mode', 'cn-mode')}>
        <legend id="cn-mode-legend">${t('campaignNew.mode')}</legend>
        ${MODES.map((m) => html`<label class="choice" key=${m}>
          <input type="radio" name="cn-mode" value=${m} checked=${form.mode === m} onChange=${set('mode')} />
          <span>${t(`campaignNew.mode.${m}`)}
            ${m === 'partner_choice' && html`<br /><span class="hint">${t('campaignNew.domains', { domains: program.permitted_domains.join(', ') })}</span>`}
            ${m === 'program_default' && html`<br /><span class="hint">${t('campaignNew.default', { url: program.default_landing_page })}</span>`}
          </span>
        </label>`)}
        <${FieldError} errors=${errors} name="mode" id="cn-mode" />
      </fieldset>

      ${form.mode === 'brand_selected' && html`<fieldset id="cn-pages" aria-labelledby="cn-pages-legend"
        aria-busy=${pages.loading ? 'true' : undefined}>
        <legend id="cn-pages-legend">${t('campaignNew.landingPages')}</legend>
        ${pages.loading ? html`<${Loading} rows=${2} />`
          : pages.error ? html`<${Failed} error=${pages.error} onRetry=${pages.reload} />`
          : (pages.data || []).length === 0 ? html`<p class="hint">${t('campaignNew.noLandingPages')} <a href="/app/programs">${t('campaigns.toPrograms')}</a></p>`
          : pages.data.map((lp) => html`<label class="choice" key=${lp.id}>
              <input type="checkbox" checked=${form.pages.includes(lp.id)}
                ...${fieldAttrs(errors, 'pages', 'cn-pages')} onChange=${(e) => togglePage(lp.id, e.currentTarget.checked)} />
              <span>${lp.name} <span class="hint">${lp.url}</span></span>
            </label>`)}
        <${FieldError} errors=${errors} name="pages" id="cn-pages" />
      </fieldset>`}

      <fieldset role="radiogroup" aria-labelledby="cn-payout-legend" id="cn-payout"
        ...${fieldAttrs(errors, 'payoutType', 'cn-payout')}>
        <legend id="cn-payout-legend">${t('campaignNew.payout')}</legend>
        <div class="inline">
          <label class="choice"><input type="radio" name="cn-payout" value="fixed"
            checked=${form.payoutType === 'fixed'} onChange=${set('payoutType')} /><span>${t('campaignNew.fixed')}</span></label>
          <label class="choice"><input type="radio" name="cn-payout" value="percent"
            checked=${form.payoutType === 'percent'} onChange=${set('payoutType')} /><span>${t('campaignNew.percent')}</span></label>
        </div>
        <${FieldError} errors=${errors} name="payoutType" id="cn-payout" />
        ${form.payoutType === 'fixed'
          ? html`<div class="field">
              <label for="cn-amount">${t('campaignNew.amount')}</label>
              <input id="cn-amount" type="text" inputmode="decimal" autocomplete="off" value=${form.amount}
                onInput=${set('amount')} ...${fieldAttrs(errors, 'amount', 'cn-amount', 'cn-amount-hint')} />
              <p class="hint" id="cn-amount-hint">${t('campaignNew.amountHint', { currency: program.currency })}</p>
              <${FieldError} errors=${errors} name="amount" id="cn-amount" />
            </div>`
          : html`<div class="field">
              <label for="cn-rate">${t('campaignNew.rate')}</label>
              <input id="cn-rate" type="text" inputmode="decimal" autocomplete="off" value=${form.rate}
                onInput=${set('rate')} ...${fieldAttrs(errors, 'rate', 'cn-rate', 'cn-rate-hint')} />
              <p class="hint" id="cn-rate-hint">${t('campaignNew.rateHint')}</p>
              <${FieldError} errors=${errors} name="rate" id="cn-rate" />
            </div>`}
      </fieldset>

      <div class="actions">
        <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>
          ${t('campaignNew.submit')}</button>
        <button type="button" onClick=${() => navigate('/app/campaigns?status=active')}>${t('common.cancel')}</button>
      </div>
    </form>`;
  }

  return html`<${Page} title=${t('campaignNew.title')}>${content}</${Page}>`;
}
