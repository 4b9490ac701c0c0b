// conversions.mjs: Conversions, /app/conversions?status=&campaign_id=
// (brand). Tabs Pending (first), Approved, Reversed (GET
// /api/v1/conversions?status=&order=desc, newest first, a page of PAGE at a time)
// and Rejected (rejected.mjs). Row buttons: Approve (pending), Reverse
// (pending or approved: a dialog with the Reason and Confirm), History (a
// dialog listing GET /api/v1/conversions/{id}/history). A conversion that
// changes status leaves its tab and the status region says so.
import { html, useEffect, useMemo, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatMoney, formatTime, t } from './lib/i18n.mjs';
import { setQuery, useLocation } from './lib/router.mjs';
import {
  Empty, Failed, FieldError, FormAlert, Loading, NO_ERRORS, Page, TabPanel, Tabs, announce,
  describe, fieldAttrs, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';
import { Dialog } from './lib/dialogs.mjs';
import { RejectedPanel } from './rejected.mjs';

export const TABS = ['pending', 'approved', 'reversed', 'rejected'];
const PAGE = 100;

function useNames() {
  const lists = useResource(async (signal) => {
    const [programs, campaigns] = await Promise.all([
      api.all('/programs', { signal }), api.all('/campaigns', { signal }),
    ]);
    const members = await Promise.all(programs.map((p) => api.all(`/programs/${p.id}/partners`, { signal })));
    return { programs, campaigns, partners: members.flat() };
  }, []);
  const names = useMemo(() => {
    const d = lists.data || { campaigns: [], partners: [] };
    return {
      campaigns: d.campaigns,
      campaign: new Map(d.campaigns.map((c) => [c.id, c.name])),
      partner: new Map(d.partners.map((p) => [p.partner_id, p.name])),
    };
  }, [lists.data]);
  return [lists, names];
}

function ReverseDialog({ target, onClose, onDone }) {
  const [reasonText, setReason] = useState('');
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  useEffect(() => { setReason(''); setErrors(NO_ERRORS); setBusy(false); }, [target]);
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const c = await api.patch(`/conversions/${target.id}`, { status: 'reversed', reason: reasonText.trim() || undefined });
      setBusy(false);
      onDone(c);
    } catch (err) {
      setErrors(toErrors(err, { reason: 'reason' }));
      setBusy(false);
    }
  }
  return html`<${Dialog} open=${!!target} onClose=${onClose}
      title=${target ? t('conversions.reverseTitle', { order: target.order_id }) : ''}>
    ${target && html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
      <${FormAlert} errors=${errors} />
      <p>${t('conversions.reverseText', { amount: formatMoney(target.amount, target.currency), payout: formatMoney(target.payout, target.currency) })}</p>
      <div class="field">
        <label for="cv-reason">${t('conversions.reason')}</label>
        <textarea id="cv-reason" rows="3" maxlength="1000" autofocus value=${reasonText}
          onInput=${(e) => setReason(e.currentTarget.value)}
          ...${fieldAttrs(errors, 'reason', 'cv-reason', 'cv-reason-hint')}></textarea>
        <p class="hint" id="cv-reason-hint">${t('conversions.reasonHint')}</p>
        <${FieldError} errors=${errors} name="reason" id="cv-reason" />
      </div>
      <div class="actions">
        <button type="submit" class="primary danger" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('conversions.confirm')}</button>
        <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
      </div>
    </form>`}
  </${Dialog}>`;
}

function HistoryDialog({ target, onClose, session, names }) {
  const hist = useResource((signal) => (target ? api.all(`/conversions/${target.id}/history`, { signal }) : Promise.resolve([])),
    [target && target.id]);
  const who = (id) => (id === session.account.id ? session.account.name : names.partner.get(id) || `#${id}`);
  const change = (h) => (h.from_status == null ? t('conversions.h.created')
    : `${t(`conversions.status.${h.from_status}`)} → ${t(`conversions.status.${h.to_status}`)}`);
  return html`<${Dialog} open=${!!target} onClose=${onClose} className="wide"
      title=${target ? t('conversions.historyTitle', { order: target.order_id }) : ''}>
    ${target && html`<div aria-busy=${hist.loading ? 'true' : 'false'}>
      ${hist.error ? html`<${Failed} error=${hist.error} onRetry=${hist.reload} />`
        : hist.loading ? html`<${Loading} rows=${3} />`
        : html`<div class="table-wrap"><table aria-label=${t('conversions.historyTable')}>
            <thead><tr>
              <th scope="col">${t('conversions.h.time')}</th>
              <th scope="col">${t('conversions.h.change')}</th>
              <th scope="col">${t('conversions.h.reason')}</th>
              <th scope="col">${t('conversions.h.by')}</th>
            </tr></thead>
            <tbody>${hist.data.map((h) => html`<tr key=${h.id}>
              <td>${formatTime(h.at)}</td>
              <th scope="row">${change(h)}</th>
              <td class="wrap">${h.reason || html`<span class="muted">—</span>`}</td>
              <td>${who(h.actor_account_id)}</td>
            </tr>`)}</tbody>
          </table></div>`}
    </div>`}
    <div class="actions"><button type="button" onClick=${onClose}>${t('common.close')}</button></div>
  </${Dialog}>`;
}

function ConversionList({ status, campaignId, session }) {
  const [lists, names] = useNames();
  const [state, setState] = useState({ key: null, rows: [], cursor: null, loading: true, error: null });
  const [retry, setRetry] = useState(0);
  const [more, setMore] = useState({ busy: false, error: null });
  const [busyId, setBusyId] = useState(null);
  const [alert, setAlert] = useState(null);
  const [reversing, setReversing] = useState(null);
  const [history, setHistory] = useState(null);
  const path = api.withQuery('/conversions', { status, campaign_id: campaignId, order: 'desc' });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ key: path, rows: [], cursor: null, loading: true, error: null });
    setAlert(null);
    api.list(path, { limit: PAGE, signal: ctl.signal }).then(
      (page) => setState({ key: path, rows: page.data, cursor: page.next_cursor, loading: false, error: null }),
      (error) => { if (error.name !== 'AbortError') setState({ key: path, rows: [], cursor: null, loading: false, error }); });
    return () => ctl.abort();
  }, [path, retry]);
  async function loadMore() {
    const at = state;
    setMore({ busy: true, error: null });
    try {
      const page = await api.list(path, { limit: PAGE, cursor: at.cursor });
      setState((cur) => (cur.key !== at.key ? cur : { ...cur, rows: cur.rows.concat(page.data), cursor: page.next_cursor }));
      setMore({ busy: false, error: null });
    } catch (error) {
      setMore({ busy: false, error });
    }
  }
  const ready = !state.loading && !lists.loading;
  useEffect(() => { if (ready) markReady('conversions'); }, [ready, path]);

  // a conversion that left this tab; the focus goes to the row that takes
  // its place (or the one before), else to the h1
  const tableRef = useRef(null);
  function gone(c, msgKey) {
    const at = state.rows.findIndex((r) => r.id === c.id);
    setState((cur) => ({ ...cur, rows: cur.rows.filter((r) => r.id !== c.id) }));
    announce(msgKey, { order: c.order_id });
    setTimeout(() => {
      const rows = tableRef.current ? tableRef.current.querySelectorAll('tbody tr') : [];
      const row = rows[Math.min(at, rows.length - 1)];
      const next = row && row.querySelector('button');
      (next || document.querySelector('main h1')).focus();
    }, 0);
  }
  async function approve(c) {
    setBusyId(c.id);
    setAlert(null);
    try {
      const next = await api.patch(`/conversions/${c.id}`, { status: 'approved' });
      gone(next, 'conversions.approved');
    } catch (err) {
      setAlert(err);
    }
    setBusyId(null);
  }

  let content;
  if (state.error || lists.error) {
    content = html`<${Failed} error=${state.error || lists.error} onRetry=${() => { lists.reload(); setRetry((n) => n + 1); }} />`;
  } else if (!ready) {
    content = html`<${Loading} rows=${5} />`;
  } else if (state.rows.length === 0) {
    content = html`<${Empty}><p>${t(`conversions.empty.${status}`)}</p><p>${t('conversions.emptyNext')}</p></${Empty}>`;
  } else {
    // explicit roles: at narrow widths the rows are cards (app.css, table.stack)
    const col = (k) => t(`conversions.col.${k}`);
    content = html`<div class="table-wrap"><table role="table" aria-label=${t('conversions.table')} ref=${tableRef} class="stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${col('time')}</th>
        <th role="columnheader" scope="col">${col('order')}</th>
        <th role="columnheader" scope="col">${col('campaign')}</th>
        <th role="columnheader" scope="col">${col('partner')}</th>
        <th role="columnheader" scope="col" class="num">${col('amount')}</th>
        <th role="columnheader" scope="col" class="num">${col('payout')}</th>
        <th role="columnheader" scope="col">${col('status')}</th>
        <th role="columnheader" scope="col"><span class="sr-only">${t('common.actions')}</span></th>
      </tr></thead>
      <tbody role="rowgroup">${state.rows.map((c) => html`<tr role="row" key=${c.id}>
        <td role="cell" data-label=${col('time')}>${formatTime(c.occurred_at)}</td>
        <th role="rowheader" scope="row" class="code" data-label=${col('order')}>${c.order_id}</th>
        <td role="cell" data-label=${col('campaign')}>${names.campaign.get(c.campaign_id) || `#${c.campaign_id}`}</td>
        <td role="cell" data-label=${col('partner')}>${names.partner.get(c.partner_id) || `#${c.partner_id}`}</td>
        <td role="cell" class="num" data-label=${col('amount')}>${formatMoney(c.amount, c.currency)}</td>
        <td role="cell" class="num" data-label=${col('payout')}>${formatMoney(c.payout, c.currency)}</td>
        <td role="cell" data-label=${col('status')}><span class=${`badge st-${c.status}`}>${t(`conversions.status.${c.status}`)}</span></td>
        <td role="cell"><div class="row-actions">
          ${c.status === 'pending' && html`<button type="button" onClick=${() => approve(c)} disabled=${busyId === c.id}
            aria-busy=${busyId === c.id ? 'true' : undefined}>${t('conversions.approve')}</button>`}
          ${c.status !== 'reversed' && html`<button type="button" onClick=${() => setReversing(c)}>${t('conversions.reverse')}</button>`}
          <button type="button" onClick=${() => setHistory(c)}>${t('conversions.history')}</button>
        </div></td>
      </tr>`)}</tbody>
    </table></div>
    <div class="more">${state.cursor
      ? html`<button type="button" onClick=${loadMore} disabled=${more.busy}
          aria-busy=${more.busy ? 'true' : undefined}>${t('common.loadMore')}</button>`
      : html`<p class="muted">${t('common.showingAll', { n: state.rows.length })}</p>`}</div>
    ${more.error && html`<p class="field-error" role="alert">${describe(more.error)}</p>`}`;
  }

  return html`<div class="toolbar">
      <div class="field">
        <label for="cv-campaign">${t('conversions.campaign')}</label>
        <select id="cv-campaign" value=${campaignId} onChange=${(e) => setQuery({ campaign_id: e.currentTarget.value })}>
          <option value="">${t('reports.allCampaigns')}</option>
          ${names.campaigns.map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}</option>`)}
        </select>
      </div>
      <p class="hint grow">${t('conversions.order')}</p>
    </div>
    ${alert && html`<div role="alert" class="alert">${describe(alert)}</div>`}
    <div aria-busy=${ready ? 'false' : 'true'}>${content}</div>
    <${ReverseDialog} target=${reversing} onClose=${() => setReversing(null)}
      onDone=${(c) => { setReversing(null); gone(c, 'conversions.reversed'); }} />
    <${HistoryDialog} target=${history} onClose=${() => setHistory(null)} session=${session} names=${names} />`;
}

export default function Conversions({ session }) {
  const loc = useLocation();
  const status = TABS.includes(loc.query.get('status')) ? loc.query.get('status') : 'pending';
  const campaignId = loc.query.get('campaign_id') || '';
  const tabs = TABS.map((s) => ({ id: s, label: t(`conversions.status.${s}`) }));
  return html`<${Page} title=${t('conversions.title')}>
    <${Tabs} id="cvs" label=${t('conversions.tabs')} items=${tabs} selected=${status}
      onSelect=${(s) => setQuery({ status: s }, { replace: false })} />
    <${TabPanel} id="cvs" selected=${status}>
      ${status === 'rejected'
        ? html`<${RejectedPanel} />`
        : html`<${ConversionList} key=${status} status=${status} campaignId=${campaignId} session=${session} />`}
    </${TabPanel}>
  </${Page}>`;
}
