// reports.mjs: Reports, /app/reports (brand), and the pieces Earnings
// (earnings.mjs) and Manage campaign's Reports tab share:
//   ReportView     the form Report filters, then the chart (metric, image)
//                  and its data table Report with a Total row per currency,
//                  Download CSV, and the empty state
//   ReportsPanel   the same with the campaign fixed: ReportsPanel({campaignId, programId})
//
// The query lives in the URL (?program_id=&campaign_id=&partner_id=
// &range=last7|last30|month|custom&from=&to=&tz=&group_by=&metric=); the
// form edits a copy and Apply writes it. A period is local dates in the
// chosen zone, both inclusive: the API gets from = the first date and
// to = the day after the last (its `to` is exclusive), with tz. Rows are
// GET /api/v1/reports as they come; the Total rows are the same query
// without group_by (the server's own sums, one row per currency: money is
// never added across currencies). The chart is zero-filled over the
// period for days and hours; a money metric charts one currency at a time.
import { html, useEffect, useMemo, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatMoney, formatNumber, locale, t, zone } from './lib/i18n.mjs';
import { setQuery, useLocation } from './lib/router.mjs';
import {
  Empty, Failed, FieldError as BaseFieldError, FormAlert, Loading, NO_ERRORS, Page, fieldAttrs,
  fieldError, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';
import { BarChart } from './lib/chart.mjs';
import {
  addDays, daysBetween, firstOfMonth, hoursBetween, isDate, todayIn, zoneList,
} from './lib/zoned.mjs';

export const RANGES = ['last7', 'last30', 'month', 'custom'];
const GROUPS = ['day', 'hour', 'campaign', 'partner', 'task', 'link'];
const KEY = { day: 'day', hour: 'hour', campaign: 'campaign_id', partner: 'partner_id', task: 'task_id', link: 'link_id' };
const METRICS = { brand: ['clicks', 'conversions', 'revenue', 'payout'], partner: ['clicks', 'conversions', 'payout'] };
const MONEY = new Set(['revenue', 'payout']);
// API field → the form's field that shows its error
const FIELDS = {
  program_id: 'program', campaign_id: 'campaign', partner_id: 'partner', from: 'from', to: 'to',
  tz: 'tz', group_by: 'group',
};

export function groupsFor(kind, fixedCampaign) {
  return GROUPS.filter((g) => !(kind === 'partner' && g === 'partner') && !(fixedCampaign && g === 'campaign'));
}

export function presetDates(range, tz) {
  const today = todayIn(tz);
  if (range === 'last7') return [addDays(today, -6), today];
  if (range === 'month') return [firstOfMonth(today), today];
  return [addDays(today, -29), today];
}

// The report's query from the URL, with the defaults (Last 30 days ending
// today, the browser's zone, by day, clicks).
export function readQuery(q, { kind = 'brand', fixedCampaignId = null } = {}) {
  const tz = q.get('tz') || zone();
  const range = RANGES.includes(q.get('range')) ? q.get('range')
    : (q.get('from') || q.get('to')) ? 'custom' : 'last30';
  const [from, to] = range === 'custom' ? [q.get('from') || '', q.get('to') || ''] : presetDates(range, tz);
  const groups = groupsFor(kind, fixedCampaignId);
  const metrics = METRICS[kind];
  return {
    program: fixedCampaignId || kind === 'partner' ? '' : q.get('program_id') || '',
    campaign: fixedCampaignId ? String(fixedCampaignId) : q.get('campaign_id') || '',
    partner: kind === 'partner' ? '' : q.get('partner_id') || '',
    range, from, to, tz,
    group: groups.includes(q.get('group_by')) ? q.get('group_by') : 'day',
    metric: metrics.includes(q.get('metric')) ? q.get('metric') : 'clicks',
  };
}

// What the browser can tell about the dates, in the form's order.
function checkDates(d) {
  if (!d.from) return fieldError('from', 'missing_field');
  if (!isDate(d.from)) return fieldError('from', 'invalid_value');
  if (!d.to) return fieldError('to', 'missing_field');
  if (!isDate(d.to)) return fieldError('to', 'invalid_value');
  return null;
}

// The API's parameters for a query (to: the day after the last date).
export function apiParams(query) {
  return {
    program_id: query.program, campaign_id: query.campaign, partner_id: query.partner,
    from: query.from, to: isDate(query.to) ? addDays(query.to, 1) : query.to, tz: query.tz,
    group_by: query.group,
  };
}

export function reportUrl(params, extra = {}) {
  return api.withQuery('/api/v1/reports', { ...params, ...extra });
}

// ---- formats

const fmtCache = new Map();
function fmt(key, opts) {
  const k = `${locale()}|${key}`;
  if (!fmtCache.has(k)) fmtCache.set(k, new Intl.DateTimeFormat(locale(), opts));
  return fmtCache.get(k);
}
const dayMs = (d) => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10));
export const formatDay = (d) => fmt('day', { dateStyle: 'medium', timeZone: 'UTC' }).format(dayMs(d));
const shortDay = (d) => fmt('sday', { month: 'numeric', day: 'numeric', timeZone: 'UTC' }).format(dayMs(d));
export const formatHour = (ms, tz) => fmt(`hour|${tz}`, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: tz,
}).format(ms);
const shortHour = (ms, tz) => fmt(`shour|${tz}`, {
  month: 'numeric', day: 'numeric', hour: '2-digit', hourCycle: 'h23', timeZone: tz,
}).format(ms);
export function formatRatio(x) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 2 }).format(x);
}
const dash = '—';

// ---- names of the ids in rows

const remote = new Map(); // "task:3" → a promise of its name, once per page load
function lookup(kind, id) {
  const k = `${kind}:${id}`;
  if (!remote.has(k)) remote.set(k, api.get(`/tasks/${id}`).then((x) => x.title, () => null));
  return remote.get(k);
}
const LOOKUPS = 50; // tasks named one by one, at most

// Names of the group keys in rows: campaigns and partners from the
// filters' lists; tasks and links from `base` (a partner's own, from
// /me/tasks) or fetched: the links of the campaign (or all) in one list,
// the tasks of the campaign in one list, else the first LOOKUPS one by one.
function useKeyNames(group, rows, base, campaignId) {
  const [extra, setExtra] = useState(new Map());
  useEffect(() => {
    if (group !== 'task' && group !== 'link') return undefined;
    const known = group === 'task' ? base.tasks : base.links;
    const ids = [...new Set((rows || []).map((r) => r[KEY[group]]).filter((id) => id != null && !known.has(id)))];
    if (!ids.length) return undefined;
    let live = true;
    const ctl = new AbortController();
    let names;
    if (group === 'link') {
      names = api.all(api.withQuery('/links', { campaign_id: campaignId }), { signal: ctl.signal, max: 5000 })
        .then((links) => links.map((l) => [l.id, l.url]));
    } else if (campaignId) {
      names = api.all(`/campaigns/${campaignId}/tasks`, { signal: ctl.signal }).then((tasks) => tasks.map((x) => [x.id, x.title]));
    } else {
      names = Promise.all(ids.slice(0, LOOKUPS).map((id) => lookup('task', id).then((name) => [id, name])));
    }
    names.then((pairs) => { if (live) setExtra(new Map(pairs.filter(([, n]) => n))); }, () => {});
    return () => { live = false; ctl.abort(); };
  }, [group, rows, base, campaignId]);
  return (id) => {
    if (group === 'link' && id == null) return t('reports.noLink');
    const known = { campaign: base.campaigns, partner: base.partners, task: base.tasks, link: base.links }[group];
    return (known && known.get(id)) || extra.get(id) || t(`reports.${group}N`, { id });
  };
}

// ---- the filters' lists

function useFilterLists(kind, fixedCampaignId, programId) {
  return useResource(async (signal) => {
    const out = { programs: [], campaigns: [], partners: [], tasks: new Map(), links: new Map() };
    if (kind === 'partner') {
      const [campaigns, tasks] = await Promise.all([
        api.all('/campaigns', { signal }), api.all('/me/tasks', { signal }),
      ]);
      out.campaigns = campaigns;
      for (const task of tasks) {
        out.tasks.set(task.id, task.title);
        for (const l of task.links || []) out.links.set(l.id, l.url);
      }
      return out;
    }
    if (fixedCampaignId) {
      const partners = await api.all(`/campaigns/${fixedCampaignId}/partners`, { signal });
      out.partners = partners.map((p) => ({ id: p.partner_id, name: p.name, programs: [String(programId || '')] }));
      return out;
    }
    const [programs, campaigns] = await Promise.all([
      api.all('/programs', { signal }), api.all('/campaigns', { signal }),
    ]);
    out.programs = programs;
    out.campaigns = campaigns;
    const members = await Promise.all(programs.map((p) => api.all(`/programs/${p.id}/partners`, { signal })));
    const byId = new Map();
    members.forEach((list, i) => {
      for (const m of list) {
        const p = byId.get(m.partner_id) || { id: m.partner_id, name: m.name, programs: [] };
        p.programs.push(String(programs[i].id));
        byId.set(m.partner_id, p);
      }
    });
    out.partners = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
    return out;
  }, [kind, fixedCampaignId]);
}

// ---- the form

// ui.mjs's field error, or this page's own sentence for it (e.message).
function FieldError({ errors, name, id }) {
  const e = errors.fields[name];
  if (!e || !e.message) return html`<${BaseFieldError} errors=${errors} name=${name} id=${id} />`;
  return html`<p class="field-error" id=${`${id}-error`}>${e.message} (${e.code})</p>`;
}

function ReportFilters({ kind, fixedCampaignId, query, lists, errors, onApply }) {
  const [draft, setDraft] = useState(query);
  const formRef = useRef(null);
  const [local, setLocal] = useState(NO_ERRORS);
  const shown = local !== NO_ERRORS ? local : errors;
  useFocusInvalid(formRef, shown);
  // the URL changed (Apply, Back): the form follows
  const qkey = JSON.stringify(query);
  useEffect(() => { setDraft(query); setLocal(NO_ERRORS); }, [qkey]);
  const known = useMemo(() => zoneList(zone()), []);
  const zones = known.includes(draft.tz) ? known : [draft.tz, ...known];
  const set = (k) => (e) => {
    const v = e.currentTarget.value;
    setDraft((d) => {
      const next = { ...d, [k]: v };
      if (k === 'range' && v !== 'custom') [next.from, next.to] = presetDates(v, d.tz);
      if (k === 'tz' && d.range !== 'custom') [next.from, next.to] = presetDates(d.range, v);
      if (k === 'from' || k === 'to') next.range = 'custom';
      if (k === 'program') { next.campaign = ''; next.partner = ''; }
      return next;
    });
  };
  function submit(e) {
    e.preventDefault();
    const bad = checkDates(draft);
    setLocal(bad || NO_ERRORS);
    if (!bad) onApply(draft);
  }
  const campaigns = (lists.campaigns || []).filter((c) => !draft.program || String(c.program_id) === draft.program);
  const partners = (lists.partners || []).filter((p) => !draft.program || p.programs.includes(draft.program));
  const groups = groupsFor(kind, fixedCampaignId);
  const select = (name, id, label, value, options, extra = null) => html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${set(name)} ...${fieldAttrs(shown, name, id)}>${options}</select>
    ${extra}
    <${FieldError} errors=${shown} name=${name} id=${id} />
  </div>`;
  return html`<form class="filters" aria-label=${t('reports.filters')} ref=${formRef} onSubmit=${submit} novalidate>
    <${FormAlert} errors=${shown} />
    <div class="filter-grid">
      ${kind === 'brand' && !fixedCampaignId && select('program', 'rf-program', t('reports.program'), draft.program, html`
        <option value="">${t('reports.allPrograms')}</option>
        ${(lists.programs || []).map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.name}</option>`)}`)}
      ${!fixedCampaignId && select('campaign', 'rf-campaign', t('reports.campaign'), draft.campaign, html`
        <option value="">${t('reports.allCampaigns')}</option>
        ${campaigns.map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}</option>`)}`)}
      ${kind === 'brand' && select('partner', 'rf-partner', t('reports.partner'), draft.partner, html`
        <option value="">${t('reports.allPartners')}</option>
        ${partners.map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.name}</option>`)}`)}
      ${select('range', 'rf-range', t('reports.range'), draft.range,
        RANGES.map((r) => html`<option key=${r} value=${r}>${t(`reports.range.${r}`)}</option>`))}
      <div class="field">
        <label for="rf-from">${t('reports.from')}</label>
        <input id="rf-from" type="date" value=${draft.from} onInput=${set('from')} required
          ...${fieldAttrs(shown, 'from', 'rf-from')} />
        <${FieldError} errors=${shown} name="from" id="rf-from" />
      </div>
      <div class="field">
        <label for="rf-to">${t('reports.to')}</label>
        <input id="rf-to" type="date" value=${draft.to} onInput=${set('to')} required
          ...${fieldAttrs(shown, 'to', 'rf-to', 'rf-to-hint')} />
        <p class="hint" id="rf-to-hint">${t('reports.toHint')}</p>
        <${FieldError} errors=${shown} name="to" id="rf-to" />
      </div>
      ${select('tz', 'rf-tz', t('reports.tz'), draft.tz,
        zones.map((z) => html`<option key=${z} value=${z}>${z}</option>`))}
      ${select('group', 'rf-group', t('reports.groupBy'), draft.group,
        groups.map((g) => html`<option key=${g} value=${g}>${t(`reports.group.${g}`)}</option>`))}
    </div>
    <div class="actions"><button type="submit" class="primary">${t('reports.apply')}</button></div>
  </form>`;
}

// ---- chart and table

function metricOf(row, metric) { return row[metric] || 0; }

// The chart's points: every day or hour of the period (zero-filled), or
// one per group key; money metrics only in `currency`.
function chartPoints(query, rows, metric, currency, nameOf) {
  const keep = (r) => !MONEY.has(metric) || r.currency === currency;
  if (query.group === 'day') {
    const sums = new Map();
    for (const r of rows) if (keep(r)) sums.set(r.day, (sums.get(r.day) || 0) + metricOf(r, metric));
    return daysBetween(query.from, query.to).map((d) => ({ label: shortDay(d), value: sums.get(d) || 0, title: formatDay(d) }));
  }
  if (query.group === 'hour') {
    const sums = new Map();
    for (const r of rows) {
      if (!keep(r)) continue;
      const ms = Date.parse(r.hour);
      sums.set(ms, (sums.get(ms) || 0) + metricOf(r, metric));
    }
    return hoursBetween(query.from, addDays(query.to, 1), query.tz)
      .map((ms) => ({ label: shortHour(ms, query.tz), value: sums.get(ms) || 0, title: formatHour(ms, query.tz) }));
  }
  const key = KEY[query.group];
  const sums = new Map();
  for (const r of rows) if (keep(r)) sums.set(r[key], (sums.get(r[key]) || 0) + metricOf(r, metric));
  return [...sums].map(([id, v]) => ({ label: nameOf(id), value: v }));
}

function keyCell(query, row, nameOf) {
  if (query.group === 'day') return [row.day, formatDay(row.day)];
  if (query.group === 'hour') return [row.hour, formatHour(Date.parse(row.hour), query.tz)];
  const id = row[KEY[query.group]];
  return [id == null ? '' : String(id), nameOf(id)];
}

function Figures({ row }) {
  const money = (v) => (row.currency ? formatMoney(v, row.currency) : formatNumber(v));
  return html`
    <td class="num" data-col="clicks" data-value=${row.clicks}>${formatNumber(row.clicks)}</td>
    <td class="num" data-col="unique_clicks" data-value=${row.unique_clicks}>${formatNumber(row.unique_clicks)}</td>
    <td class="num" data-col="conversions" data-value=${row.conversions}>${formatNumber(row.conversions)}</td>
    <td class="num" data-col="revenue" data-value=${row.revenue}>${money(row.revenue)}</td>
    <td class="num" data-col="payout" data-value=${row.payout}>${money(row.payout)}</td>
    <td data-col="currency" data-value=${row.currency || ''}>${row.currency || dash}</td>
    <td class="num" data-col="conversion_rate" data-value=${row.conversion_rate}>${formatRatio(row.conversion_rate)}</td>
    <td class="num" data-col="epc" data-value=${row.epc}>${money(row.epc)}</td>`;
}

export function ReportTable({ kind, query, rows, totals, nameOf }) {
  const payout = kind === 'partner' ? t('earnings.col.earnings') : t('reports.col.payout');
  // the frame scrolls sideways on narrow screens: keyboard users may scroll it too
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t('reports.table')}>
    <table aria-label=${t('reports.table')} class="report">
      <thead><tr>
        <th scope="col">${t(`reports.group.${query.group}`)}</th>
        <th scope="col" class="num">${t('reports.col.clicks')}</th>
        <th scope="col" class="num">${t('reports.col.unique')}</th>
        <th scope="col" class="num">${t('reports.col.conversions')}</th>
        <th scope="col" class="num">${t('reports.col.revenue')}</th>
        <th scope="col" class="num">${payout}</th>
        <th scope="col">${t('reports.col.currency')}</th>
        <th scope="col" class="num">${t('reports.col.rate')}</th>
        <th scope="col" class="num"><abbr title=${t('reports.col.epcLong')}>${t('reports.col.epc')}</abbr></th>
      </tr></thead>
      <tbody>${rows.map((r, i) => {
        const [raw, text] = keyCell(query, r, nameOf);
        return html`<tr key=${i}><th scope="row" data-key=${raw}>${text}</th><${Figures} row=${r} /></tr>`;
      })}</tbody>
      <tfoot>${totals.map((r, i) => html`<tr key=${i} class="total">
        <th scope="row">${t('reports.total')}</th><${Figures} row=${r} /></tr>`)}</tfoot>
    </table>
  </div>`;
}

function ChartBlock({ kind, query, rows, nameOf }) {
  const metric = query.metric;
  const currencies = [...new Set(rows.map((r) => r.currency).filter(Boolean))].sort();
  const [currency, setCurrency] = useState(currencies[0] || '');
  const cur = currencies.includes(currency) ? currency : currencies[0] || '';
  const points = chartPoints(query, rows, metric, cur, nameOf);
  const metricLabel = (m) => (kind === 'partner' && m === 'payout' ? t('earnings.col.earnings') : t(`reports.metric.${m}`));
  const name = t('reports.chartName', { metric: metricLabel(metric), group: t(`reports.group.${query.group}`) });
  const format = MONEY.has(metric)
    ? (v) => formatMoney(v, cur)
    : (v) => (Number.isInteger(v) ? formatNumber(v) : '');
  return html`<div class="chart-block">
    <div class="chart-controls">
      <fieldset role="radiogroup" aria-labelledby="rc-metric-legend" class="metric">
        <legend id="rc-metric-legend">${t('reports.metric')}</legend>
        <div class="inline">
          ${METRICS[kind].map((m) => html`<label class="choice" key=${m}>
            <input type="radio" name="rc-metric" value=${m} checked=${metric === m}
              onChange=${() => setQuery({ metric: m })} /><span>${metricLabel(m)}</span></label>`)}
        </div>
      </fieldset>
      ${MONEY.has(metric) && currencies.length > 1 && html`<div class="field">
        <label for="rc-currency">${t('reports.chartCurrency')}</label>
        <select id="rc-currency" value=${cur} onChange=${(e) => setCurrency(e.currentTarget.value)}>
          ${currencies.map((c) => html`<option key=${c} value=${c}>${c}</option>`)}
        </select>
      </div>`}
    </div>
    <${BarChart} label=${name} points=${points} format=${format}
      layout=${query.group === 'day' || query.group === 'hour' ? 'time' : 'category'} />
  </div>`;
}

// ---- the view

// Everything below the h1: the form, then the results. slots.afterFilters
// and slots.end ({query, data, loading}) → more content (Earnings).
export function ReportView({ kind = 'brand', fixedCampaignId = null, programId = null, slots = {} }) {
  const loc = useLocation();
  const query = readQuery(loc.query, { kind, fixedCampaignId });
  const lists = useFilterLists(kind, fixedCampaignId, programId);
  const params = apiParams(query);
  const valid = isDate(query.from) && isDate(query.to);
  const pkey = JSON.stringify(params);
  const data = useResource(async (signal) => {
    if (!valid) return null;
    const [rows, totals] = await Promise.all([
      api.get(api.withQuery('/reports', params), { signal }),
      api.get(api.withQuery('/reports', { ...params, group_by: null }), { signal }),
    ]);
    return { key: pkey, rows: rows.data, totals: totals.data };
  }, [pkey]);
  // the answer to this query (while the next one loads, the last one is not it)
  const current = data.data && data.data.key === pkey ? data.data : null;
  const ready = !data.loading && !lists.loading;
  useEffect(() => { if (ready) markReady('reports'); }, [ready, pkey]);

  const base = useMemo(() => {
    const l = lists.data || {};
    return {
      campaigns: new Map((l.campaigns || []).map((c) => [c.id, c.name])),
      partners: new Map((l.partners || []).map((p) => [p.id, p.name])),
      tasks: l.tasks || new Map(),
      links: l.links || new Map(),
    };
  }, [lists.data]);
  const rows = current ? current.rows : null;
  const nameOf = useKeyNames(query.group, rows, base, query.campaign);

  // a refusal of the query is shown in the form, at its field
  const formErrors = useMemo(() => {
    if (!valid) return checkDates(query) || NO_ERRORS;
    const e = data.error;
    if (!e || (e.status !== 422 && e.status !== 400)) return NO_ERRORS;
    const out = toErrors(e, FIELDS);
    // the one refusal a user meets here: a zone whose days the hourly rollups cannot tell apart
    if (out.fields.tz && e.code === 'invalid_value') out.fields.tz = { ...out.fields.tz, message: t('reports.tzRefused') };
    return out;
  }, [data.error, valid, pkey]);
  const failed = data.error && formErrors === NO_ERRORS ? data.error : lists.error;

  function apply(d) {
    const custom = d.range === 'custom';
    setQuery({
      program_id: d.program || null, campaign_id: fixedCampaignId ? null : d.campaign || null,
      partner_id: d.partner || null, range: d.range, from: custom ? d.from : null,
      to: custom ? d.to : null, tz: d.tz, group_by: d.group,
    }, { replace: false });
    if (!data.loading && JSON.stringify(apiParams({ ...query, ...d })) === pkey) data.reload();
  }

  let results;
  if (failed) {
    results = html`<${Failed} error=${failed} onRetry=${() => { lists.reload(); data.reload(); }} />`;
  } else if (formErrors !== NO_ERRORS) {
    results = html`<p class="hint">${t('reports.fixFilters')}</p>`;
  } else if (!ready || !current) {
    results = html`<${Loading} rows=${6} />`;
  } else if (rows.length === 0) {
    results = html`<${Empty}>
      <p><strong>${t('reports.empty')}</strong></p>
      <p>${t(`reports.emptyNext.${kind}`)}</p>
      ${kind === 'brand'
        ? html`<a href="/app/campaigns?status=active">${t('reports.toCampaigns')}</a>`
        : html`<a href="/app/tasks">${t('reports.toTasks')}</a>`}
    </${Empty}>`;
  } else {
    const csv = reportUrl(params, { format: 'csv' });
    results = html`
      <${ChartBlock} kind=${kind} query=${query} rows=${rows} nameOf=${nameOf} />
      <${ReportTable} kind=${kind} query=${query} rows=${rows} totals=${current.totals} nameOf=${nameOf} />
      <p class="actions"><a class="button" href=${csv}
        download=${`report-${query.from}-${query.to}-${query.group}.csv`}>${t('reports.csv')}</a></p>`;
  }

  const ctx = { query, params, data, current, lists, ready, valid: valid && formErrors === NO_ERRORS };
  return html`<div class="report-view">
    ${lists.data || lists.error
      ? html`<${ReportFilters} kind=${kind} fixedCampaignId=${fixedCampaignId} query=${query}
          lists=${lists.data || {}} errors=${formErrors} onApply=${apply} />`
      : html`<div aria-busy="true"><${Loading} rows=${3} /></div>`}
    <p class="hint period">${t('reports.period', {
      from: isDate(query.from) ? formatDay(query.from) : query.from,
      to: isDate(query.to) ? formatDay(query.to) : query.to, tz: query.tz,
    })}</p>
    ${slots.afterFilters && slots.afterFilters(ctx)}
    <div class="results" aria-busy=${ready ? 'false' : 'true'}>${results}</div>
    ${slots.end && slots.end(ctx)}
  </div>`;
}

// Manage campaign's Reports tab: the view with the campaign fixed (no h1).
export function ReportsPanel({ campaignId, programId }) {
  return html`<${ReportView} kind="brand" fixedCampaignId=${campaignId} programId=${programId} />`;
}

export default function Reports() {
  return html`<${Page} title=${t('reports.title')}><${ReportView} kind="brand" /></${Page}>`;
}
