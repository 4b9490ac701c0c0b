// earnings.mjs: Earnings, /app/earnings (partner). The report filters (a
// partner's: campaign, period, zone, grouping), the table Totals (clicks,
// conversions, earnings = payout, per currency), the chart and its data
// table (reports.mjs), and the table Conversions of the period.
//
// GET /api/v1/conversions has no date filter, so the period's conversions
// are found by walking the partner's list newest first (order=desc: at
// most the newest MAX, sorted by occurred_at once filtered); past MAX the
// page says so and a campaign narrows it.
import { html, useMemo, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatMoney, formatNumber, locale, t } from './lib/i18n.mjs';
import { Empty, Failed, Loading, Page, useResource } from './lib/ui.mjs';
import { addDays, localMidnight } from './lib/zoned.mjs';
import { ReportView } from './reports.mjs';

const MAX = 2000;
const SHOW = 50;

function Totals({ ctx }) {
  const d = ctx.current;
  if (!ctx.valid || ctx.data.error) return null;
  return html`<section class="totals" aria-busy=${d ? 'false' : 'true'}>
    <h2 id="earn-totals">${t('earnings.totals')}</h2>
    ${!d ? html`<${Loading} rows=${2} />` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="earn-totals"><table aria-labelledby="earn-totals">
      <thead><tr>
        <th scope="col" class="num">${t('earnings.col.clicks')}</th>
        <th scope="col" class="num">${t('earnings.col.conversions')}</th>
        <th scope="col" class="num">${t('earnings.col.earnings')}</th>
        <th scope="col">${t('earnings.col.currency')}</th>
      </tr></thead>
      <tbody>${d.totals.map((r, i) => html`<tr key=${i}>
        <td class="num" data-col="clicks" data-value=${r.clicks}>${formatNumber(r.clicks)}</td>
        <td class="num" data-col="conversions" data-value=${r.conversions}>${formatNumber(r.conversions)}</td>
        <td class="num" data-col="payout" data-value=${r.payout}>${r.currency ? formatMoney(r.payout, r.currency) : formatNumber(r.payout)}</td>
        <td data-col="currency" data-value=${r.currency || ''}>${r.currency || '—'}</td>
      </tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

function PeriodConversions({ ctx }) {
  const { query } = ctx;
  const [shown, setShown] = useState(SHOW);
  const key = `${query.campaign}|${query.from}|${query.to}|${query.tz}`;
  const list = useResource(async (signal) => {
    if (!ctx.valid) return null;
    const all = await api.all(api.withQuery('/conversions', { campaign_id: query.campaign, order: 'desc' }), { signal, max: MAX });
    const start = localMidnight(query.from, query.tz);
    const end = localMidnight(addDays(query.to, 1), query.tz);
    const items = all.filter((c) => {
      const ms = Date.parse(c.occurred_at);
      return ms >= start && ms < end;
    }).sort((a, b) => Date.parse(b.occurred_at) - Date.parse(a.occurred_at) || b.id - a.id);
    return { items, capped: all.length >= MAX };
  }, [key, ctx.valid]);
  const when = useMemo(() => new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium', timeStyle: 'short', timeZone: query.tz,
  }), [query.tz, locale()]);
  if (!ctx.valid) return null;
  let body;
  if (list.error) body = html`<${Failed} error=${list.error} onRetry=${list.reload} />`;
  else if (list.loading || !list.data) body = html`<${Loading} rows=${3} />`;
  else if (list.data.items.length === 0) {
    body = html`<${Empty}><p>${t('earnings.noConversions')}</p>
      <p>${t('earnings.noConversionsNext')}</p><a href="/app/tasks">${t('reports.toTasks')}</a></${Empty}>`;
  } else {
    const items = list.data.items.slice(0, shown);
    // explicit roles: at narrow widths the rows are cards (app.css, table.stack)
    const col = (k) => t(`earnings.col.${k}`);
    body = html`<div class="table-wrap"><table role="table" aria-labelledby="earn-conv" class="stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${col('date')}</th>
        <th role="columnheader" scope="col">${col('order')}</th>
        <th role="columnheader" scope="col" class="num">${col('amount')}</th>
        <th role="columnheader" scope="col" class="num">${col('earnings')}</th>
        <th role="columnheader" scope="col">${col('status')}</th>
      </tr></thead>
      <tbody role="rowgroup">${items.map((c) => html`<tr role="row" key=${c.id}>
        <td role="cell" data-label=${col('date')}>${when.format(new Date(c.occurred_at))}</td>
        <th role="rowheader" scope="row" class="code" data-label=${col('order')}>${c.order_id}</th>
        <td role="cell" class="num" data-label=${col('amount')}>${formatMoney(c.amount, c.currency)}</td>
        <td role="cell" class="num" data-label=${col('earnings')}>${c.status === 'reversed' ? html`<s>${formatMoney(c.payout, c.currency)}</s>` : formatMoney(c.payout, c.currency)}</td>
        <td role="cell" data-label=${col('status')}><span class=${`badge st-${c.status}`}>${t(`conversions.status.${c.status}`)}</span></td>
      </tr>`)}</tbody>
    </table></div>
    <div class="more">${list.data.items.length > shown
      ? html`<button type="button" onClick=${() => setShown((n) => n + SHOW)}>${t('common.loadMore')}</button>`
      : html`<p class="muted">${t('common.showingAll', { n: list.data.items.length })}</p>`}</div>
    ${list.data.capped && html`<p class="hint">${t('earnings.capped', { n: formatNumber(MAX) })}</p>`}`;
  }
  return html`<section class="period-conversions" aria-busy=${list.loading ? 'true' : 'false'}>
    <h2 id="earn-conv">${t('earnings.conversions')}</h2>${body}</section>`;
}

export default function Earnings() {
  return html`<${Page} title=${t('earnings.title')}>
    <${ReportView} kind="partner" slots=${{
      afterFilters: (ctx) => html`<${Totals} ctx=${ctx} />`,
      end: (ctx) => html`<${PeriodConversions} ctx=${ctx} />`,
    }} />
  </${Page}>`;
}
