// rejected.mjs: the Rejected tab of Conversions: every refused conversion
// attempt (GET /api/v1/conversions/rejected?order=desc, newest first, Load
// more walking back), with its reason: the stable code, a sentence in the
// chosen language that says why with the figures of `facts`, and what to
// do about it. The server's `detail` (English, for logs) is only the last
// resort, for a code this page does not know.
import { html, useEffect, useMemo, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatMoney, formatTime, locale, t } from './lib/i18n.mjs';
import { setQuery, useLocation } from './lib/router.mjs';
import { Empty, Failed, Loading, describe, markReady, useResource } from './lib/ui.mjs';

const PAGE = 100;

function number(n) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(n);
}

// A time span of the facts: days, or hours when under two days.
function span(seconds, days) {
  const s = Math.abs(seconds);
  if (s < 2 * 86400) return t('rejected.hours', { n: number(Math.ceil(s / 360) / 10) });
  return t('rejected.days', { n: number(Math.abs(days != null ? days : s / 86400)) });
}

function list(items) {
  try {
    return new Intl.ListFormat(locale(), { type: 'conjunction' }).format(items);
  } catch {
    return items.join(', ');
  }
}

const INVALID_FIELDS = new Set(['order_id', 'event_type', 'occurred_at']);

// {why, todo} for a rejection x; names: {campaign(id) → name}.
export function reason(x, names = {}) {
  const f = x.facts || {};
  const field = x.field || '';
  switch (x.code) {
    case 'outside_referral_window':
      if (f.click_age_seconds == null) break;
      if (f.click_age_seconds < 0) {
        return {
          why: t('rejected.why.before', { age: span(f.click_age_seconds, f.click_age_days), click: formatTime(f.click_at) }),
          todo: t('rejected.todo.before'),
        };
      }
      return {
        why: t('rejected.why.window', { age: span(f.click_age_seconds, f.click_age_days), window: number(f.referral_window_days) }),
        todo: t('rejected.todo.window'),
      };
    case 'click_not_found':
      return { why: t('rejected.why.click_not_found'), todo: t('rejected.todo.click_not_found') };
    case 'duplicate_order':
      if (f.conversion_id == null) break;
      return {
        why: t('rejected.why.duplicate_order', {
          order: x.order_id || '', date: formatTime(f.conversion_created_at), id: f.conversion_id,
          amount: formatMoney(f.conversion_amount, f.conversion_currency),
          fields: list((f.differs || []).map((d) => t(`rejected.field.${d}`))),
        }),
        todo: t('rejected.todo.duplicate_order'),
      };
    case 'currency_mismatch':
      if (!f.program_currency) break;
      return {
        why: t(f.currency_known ? 'rejected.why.currency_mismatch' : 'rejected.why.currency_unknown',
          { sent: f.currency_sent, program: f.program_currency }),
        todo: t('rejected.todo.currency_mismatch', { program: f.program_currency }),
      };
    case 'invalid_amount':
      return {
        why: t('rejected.why.invalid_amount', { amount: f.amount_sent != null ? f.amount_sent : x.amount != null ? String(x.amount) : '?' }),
        todo: t('rejected.todo.invalid_amount'),
      };
    case 'campaign_not_trackable': {
      const name = f.campaign_id != null ? (names.campaign && names.campaign(f.campaign_id)) || `#${f.campaign_id}` : '';
      return { why: t('rejected.why.campaign_not_trackable', { campaign: name }), todo: t('rejected.todo.campaign_not_trackable') };
    }
    case 'missing_field':
      return { why: t('rejected.why.missing_field', { field }), todo: t('rejected.todo.missing_field', { field }) };
    case 'invalid_value':
      return {
        why: INVALID_FIELDS.has(field) ? t(`rejected.why.invalid_value.${field}`) : t('rejected.why.invalid_value', { field }),
        todo: t('rejected.todo.invalid_value'),
      };
    case 'invalid_type':
      return { why: t('rejected.why.invalid_type', { field }), todo: t('rejected.todo.invalid_type') };
    default:
      break;
  }
  return { why: x.detail || describe({ code: x.code }), todo: '' };
}

// The roles are explicit: at narrow widths the rows are laid out as cards
// (CSS display), which would otherwise drop the table's semantics.
function Row({ x, names }) {
  const r = reason(x, names);
  const none = html`<span class="muted">${t('rejected.none')}</span>`;
  return html`<tr role="row">
    <td role="cell" data-label=${t('rejected.col.time')}>${formatTime(x.received_at)}</td>
    <th role="rowheader" scope="row" class="code" data-label=${t('rejected.col.order')}>${x.order_id != null ? x.order_id : none}</th>
    <td role="cell" class="code" data-label=${t('rejected.col.click')}>${x.click_id != null ? x.click_id : none}</td>
    <td role="cell" class="reason">
      <code>${x.code}</code>
      <p class="why">${r.why}</p>
      ${r.todo && html`<p class="hint">${r.todo}</p>`}
      <p class="hint">${t(`rejected.source.${x.source === 'postback' ? 'postback' : 'api'}`)}</p>
    </td>
  </tr>`;
}

export function RejectedPanel() {
  const loc = useLocation();
  const programId = loc.query.get('program_id') || '';
  const lists = useResource(async (signal) => {
    const [programs, campaigns] = await Promise.all([
      api.all('/programs', { signal }), api.all('/campaigns', { signal }),
    ]);
    return { programs, campaigns };
  }, []);
  const names = useMemo(() => {
    const byId = new Map(((lists.data && lists.data.campaigns) || []).map((c) => [c.id, c.name]));
    return { campaign: (id) => byId.get(id) };
  }, [lists.data]);

  const [state, setState] = useState({ key: null, rows: [], cursor: null, loading: true, error: null });
  const [retry, setRetry] = useState(0);
  const [more, setMore] = useState({ busy: false, error: null });
  const path = api.withQuery('/conversions/rejected', { order: 'desc', program_id: programId });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ key: path, rows: [], cursor: null, loading: true, error: null });
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
  useEffect(() => { if (ready) markReady('rejected'); }, [ready, path]);

  let content;
  if (state.error || lists.error) {
    content = html`<${Failed} error=${state.error || lists.error} onRetry=${() => { lists.reload(); setRetry((n) => n + 1); }} />`;
  } else if (!ready) {
    content = html`<${Loading} rows=${5} />`;
  } else if (state.rows.length === 0) {
    content = html`<${Empty}><p>${t('rejected.empty')}</p><p>${t('rejected.emptyNext')}</p></${Empty}>`;
  } else {
    content = html`<div class="table-wrap"><table role="table" aria-label=${t('rejected.table')} class="rejected stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${t('rejected.col.time')}</th>
        <th role="columnheader" scope="col">${t('rejected.col.order')}</th>
        <th role="columnheader" scope="col">${t('rejected.col.click')}</th>
        <th role="columnheader" scope="col">${t('rejected.col.reason')}</th>
      </tr></thead>
      <tbody role="rowgroup">${state.rows.map((x) => html`<${Row} key=${x.id} x=${x} names=${names} />`)}</tbody>
    </table></div>
    <div class="more">${state.cursor
      ? html`<button type="button" onClick=${loadMore} disabled=${more.busy}
          aria-busy=${more.busy ? 'true' : undefined}>${t('common.loadMore')}</button>`
      : html`<p class="muted">${t('common.showingAll', { n: state.rows.length })}</p>`}</div>
    ${more.error && html`<p class="field-error" role="alert">${describe(more.error)}</p>`}`;
  }
  return html`<div class="toolbar">
      <div class="field">
        <label for="rj-program">${t('rejected.program')}</label>
        <select id="rj-program" value=${programId} onChange=${(e) => setQuery({ program_id: e.currentTarget.value })}>
          <option value="">${t('reports.allPrograms')}</option>
          ${((lists.data && lists.data.programs) || []).map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.name}</option>`)}
        </select>
      </div>
      <p class="hint grow">${t('rejected.order')}</p>
    </div>
    <div aria-busy=${ready ? 'false' : 'true'}>${content}</div>`;
}
