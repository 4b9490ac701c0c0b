// campaigns.mjs: the Campaign Manager, /app/campaigns?status=&program_id=.
// Tabs Campaign type (Performance) and Status (Active first); the Program
// filter; the Campaigns table, a page of PAGE rows at a time (Load more).
// The query is kept in the URL; a missing status is Active.
import { html, useEffect, useMemo, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatMoney, formatRate, t } from './lib/i18n.mjs';
import { navigate, setQuery, useLocation } from './lib/router.mjs';
import {
  Empty, Failed, Loading, Page, TabPanel, Tabs, describe, markReady, useResource,
} from './lib/ui.mjs';

export const STATUSES = ['active', 'draft', 'paused', 'ended'];
const PAGE = 100;

export function trackingLabel(c) {
  return c.tracking && c.tracking.enabled ? t(`tracking.${c.tracking.landing_page_mode}`) : t('tracking.off');
}

export function payoutLabel(c, currency) {
  if (!c.payout) return '';
  return c.payout.type === 'percent'
    ? t('payout.percentShort', { rate: formatRate(c.payout.rate_bp) })
    : t('payout.fixedShort', { amount: formatMoney(c.payout.amount, currency) });
}

function Row({ c, program }) {
  return html`<tr>
    <th scope="row">${c.name}</th>
    <td>${program ? program.name : ''}</td>
    <td><span class=${`badge ${c.tracking && c.tracking.enabled ? 'on' : 'off'}`}>${trackingLabel(c)}</span></td>
    <td>${payoutLabel(c, program && program.currency)}</td>
    <td><a href=${`/app/campaigns/${c.id}/tasks`}>${t('campaigns.viewTasks')}</a></td>
    <td><a href=${`/app/campaigns/${c.id}/overview`}>${t('campaigns.manage')}</a></td>
  </tr>`;
}

export default function Campaigns() {
  const loc = useLocation();
  const status = STATUSES.includes(loc.query.get('status')) ? loc.query.get('status') : null;
  const programId = loc.query.get('program_id') || '';
  useEffect(() => {
    if (!status) setQuery({ status: 'active' });
  }, [status]);

  const programs = useResource((signal) => api.all('/programs', { signal }), []);
  const byId = useMemo(() => new Map((programs.data || []).map((p) => [String(p.id), p])),
    [programs.data]);

  // the rows of this status and program, page after page
  const [list, setList] = useState({ key: null, rows: [], cursor: null, loading: true, error: null, more: false });
  const key = `${status}|${programId}`;
  const [retry, setRetry] = useState(0);
  useEffect(() => {
    if (!status) return;
    const ctl = new AbortController();
    setList({ key, rows: [], cursor: null, loading: true, error: null, more: false });
    api.list(api.withQuery('/campaigns', { status, program_id: programId }), { limit: PAGE, signal: ctl.signal })
      .then((page) => setList({ key, rows: page.data, cursor: page.next_cursor, loading: false, error: null, more: false }),
        (error) => { if (error.name !== 'AbortError') setList({ key, rows: [], cursor: null, loading: false, error, more: false }); });
    return () => ctl.abort();
  }, [key, retry]);

  async function loadMore() {
    const at = list;
    setList({ ...at, more: true, error: null });
    try {
      const page = await api.list(api.withQuery('/campaigns', { status, program_id: programId }),
        { limit: PAGE, cursor: at.cursor });
      setList((cur) => (cur.key !== at.key ? cur
        : { ...cur, rows: cur.rows.concat(page.data), cursor: page.next_cursor, more: false }));
    } catch (error) {
      setList((cur) => ({ ...cur, more: false, moreError: error }));
    }
  }

  const ready = !list.loading && !programs.loading && list.key === key;
  useEffect(() => { if (ready) markReady('campaigns'); }, [ready, key]);

  const statusTabs = STATUSES.map((s) => ({ id: s, label: t(`status.${s}`) }));
  const noPrograms = programs.data && programs.data.length === 0;

  let content;
  if (list.error || programs.error) {
    content = html`<${Failed} error=${list.error || programs.error}
      onRetry=${() => { programs.reload(); setRetry((n) => n + 1); }} />`;
  } else if (!ready) {
    content = html`<${Loading} rows=${6} />`;
  } else if (list.rows.length === 0) {
    content = html`<${Empty}>
      <p>${t(`campaigns.empty.${status}`)}</p>
      ${noPrograms
        ? html`<p>${t('campaigns.noPrograms')}</p><a href="/app/programs">${t('campaigns.toPrograms')}</a>`
        : html`<p>${t('campaigns.empty.next')}</p>`}
    </${Empty}>`;
  } else {
    content = html`<div class="table-wrap">
      <table aria-label=${t('campaigns.table')}>
        <thead><tr>
          <th scope="col">${t('campaigns.col.name')}</th>
          <th scope="col">${t('campaigns.col.program')}</th>
          <th scope="col">${t('campaigns.col.tracking')}</th>
          <th scope="col">${t('campaigns.col.payout')}</th>
          <th scope="col">${t('campaigns.col.tasks')}</th>
          <th scope="col"><span class="sr-only">${t('common.actions')}</span></th>
        </tr></thead>
        <tbody>${list.rows.map((c) => html`<${Row} key=${c.id} c=${c} program=${byId.get(String(c.program_id))} />`)}</tbody>
      </table>
    </div>
    <div class="more">
      ${list.cursor
        ? html`<button type="button" onClick=${loadMore} disabled=${list.more}
            aria-busy=${list.more ? 'true' : undefined}>${t('common.loadMore')}</button>`
        : html`<p class="muted">${t('common.showingAll', { n: list.rows.length })}</p>`}
    </div>
    ${list.moreError && html`<p class="field-error" role="alert">${describe(list.moreError)}</p>`}`;
  }

  return html`<${Page} title=${t('campaigns.title')}>
    <${Tabs} id="ctype" label=${t('campaigns.type')} className="tabs-type"
      items=${[{ id: 'performance', label: t('campaigns.performance') }]}
      selected="performance" onSelect=${() => {}} />
    <${TabPanel} id="ctype" selected="performance">
      <${Tabs} id="cstatus" label=${t('campaigns.status')} items=${statusTabs} selected=${status || 'active'}
        onSelect=${(s) => setQuery({ status: s }, { replace: false })} />
      <${TabPanel} id="cstatus" selected=${status || 'active'}>
        <div class="toolbar">
          <div class="field">
            <label for="cm-program">${t('campaigns.program')}</label>
            <select id="cm-program" value=${programId} onChange=${(e) => setQuery({ program_id: e.currentTarget.value })}>
              <option value="">${t('campaigns.allPrograms')}</option>
              ${(programs.data || []).map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.name}</option>`)}
            </select>
          </div>
          <button type="button" class="primary grow"
            onClick=${() => navigate(`/app/campaigns/new${programId ? `?program_id=${programId}` : ''}`)}>
            ${t('campaigns.create')}</button>
        </div>
        <div aria-busy=${ready ? 'false' : 'true'}>${content}</div>
      </${TabPanel}>
    </${TabPanel}>
  </${Page}>`;
}
