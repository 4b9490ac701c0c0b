// linkparts.mjs: what every Links table shares (task details, Links,
// Manage campaign › Links, the partner's task manager):
//   LinksTable   the table Links｜リンク: Partner (and, on Links, the
//                campaign under it), Type, Landing page, Link (the full URL
//                as text), Clicks and Conversions of the last 30 days,
//                Created by, Status; row buttons Copy, QR code and,
//                for a brand, Disable (PATCH active:false, at once: a link
//                is not deleted, and its clicks go to the program default)
//   QrDialog     the dialog QR code: the image from qr.svg, Download SVG
//                ({code}-qr.svg), Close
//   useLinkStats the last 30 days per link, from the reports grouped by link
import { html, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatNumber, t, zone } from './lib/i18n.mjs';
import { Dialog } from './lib/dialogs.mjs';
import { Empty, announce, copyText, describe, useResource } from './lib/ui.mjs';
import { addDays, todayIn } from './lib/zoned.mjs';

// {campaign_id?, task_id?, partner_id?} → {loading, data: Map(link_id → {clicks, conversions})}
export function useLinkStats(filter, deps) {
  return useResource(async (signal) => {
    const tz = zone();
    const today = todayIn(tz);
    const q = api.withQuery('/reports', {
      ...filter, group_by: 'link', from: addDays(today, -29), to: addDays(today, 1), tz,
    });
    const rows = (await api.get(q, { signal })).data || [];
    const m = new Map();
    for (const r of rows) {
      if (r.link_id == null) continue;
      const cur = m.get(r.link_id) || { clicks: 0, conversions: 0 };
      cur.clicks += r.clicks;
      cur.conversions += r.conversions;
      m.set(r.link_id, cur);
    }
    return m;
  }, deps);
}

export function QrDialog({ link, onClose }) {
  const src = link ? `/api/v1/links/${link.id}/qr.svg` : '';
  return html`<${Dialog} open=${!!link} onClose=${onClose} title=${t('links.qr')}>
    ${link && html`<div class="form qr">
      <img src=${src} width="256" height="256" alt=${t('links.qrAlt', { url: link.url })} />
      <p class="code url-text">${link.url}</p>
      <div class="actions">
        <a class="button primary" href=${src} download=${`${link.code}-qr.svg`}>${t('links.download')}</a>
        <button type="button" onClick=${onClose}>${t('common.close')}</button>
      </div>
    </div>`}
  </${Dialog}>`;
}

// links: link objects; partnerName(id) → a name; stats: useLinkStats's
// state; brand: whether Disable is offered; onChanged(link) after a
// change; label: the table's name (Links｜リンク by default); under(link):
// a line under the partner's name (the campaign, on Links).
export function LinksTable({ links, partnerName, stats, brand = false, onChanged = () => {}, label, under = null }) {
  const [qr, setQr] = useState(null);
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  async function disable(l) {
    setBusy(l.id);
    setError(null);
    try {
      const next = await api.patch(`/links/${l.id}`, { active: false });
      announce('links.disabledDone');
      onChanged(next);
      // the button is gone with the change: the focus goes to the row's Copy
      setTimeout(() => {
        const b = document.querySelector(`tr[data-link-id="${l.id}"] .row-actions button`);
        if (b && (!document.activeElement || document.activeElement === document.body)) b.focus();
      }, 0);
    } catch (err) {
      setError(err);
    }
    setBusy(null);
  }
  const col = (k) => t(`links.col.${k}`);
  const st = (l) => (stats && stats.data && stats.data.get(l.id)) || { clicks: 0, conversions: 0 };
  const figure = (n) => (stats && stats.loading && !stats.data ? '…' : formatNumber(n));
  return html`${error && html`<div role="alert" class="alert">${describe(error)}</div>`}
    <div class="table-wrap"><table role="table" aria-label=${label || t('links.table')} class="stack links">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${col('partner')}</th>
        <th role="columnheader" scope="col">${col('type')}</th>
        <th role="columnheader" scope="col">${col('landing')}</th>
        <th role="columnheader" scope="col">${col('link')}</th>
        <th role="columnheader" scope="col" class="num">${col('clicks')}</th>
        <th role="columnheader" scope="col" class="num">${col('conversions')}</th>
        <th role="columnheader" scope="col">${col('createdBy')}</th>
        <th role="columnheader" scope="col">${col('status')}</th>
        <th role="columnheader" scope="col"><span class="sr-only">${t('common.actions')}</span></th>
      </tr></thead>
      <tbody role="rowgroup">${links.map((l) => html`<tr role="row" key=${l.id} data-link-id=${l.id}>
        <th role="rowheader" scope="row">${partnerName(l.partner_id)}${under && html`<span class="under">${under(l)}</span>`}</th>
        <td role="cell" data-label=${col('type')}>${t(`links.kind.${l.kind}`)}</td>
        <td role="cell" class="url" data-label=${col('landing')}>${l.landing_page_url}</td>
        <td role="cell" class="url code" data-label=${col('link')}>${l.url}</td>
        <td role="cell" class="num" data-label=${col('clicks')} data-value=${st(l).clicks}>${figure(st(l).clicks)}</td>
        <td role="cell" class="num" data-label=${col('conversions')} data-value=${st(l).conversions}>${figure(st(l).conversions)}</td>
        <td role="cell" data-label=${col('createdBy')}>${t(`links.by.${l.created_by}`)}</td>
        <td role="cell" data-label=${col('status')}><span class=${`badge ${l.active ? 'on' : 'off'}`}>${t(l.active ? 'links.active' : 'links.disabled')}</span></td>
        <td role="cell"><div class="row-actions">
          <button type="button" onClick=${() => copyText(l.url)}>${t('links.copy')}</button>
          <button type="button" onClick=${() => setQr(l)}>${t('links.qr')}</button>
          ${brand && l.active && html`<button type="button" onClick=${() => disable(l)} disabled=${busy === l.id}
            aria-busy=${busy === l.id ? 'true' : undefined}>${t('links.disable')}</button>`}
        </div></td>
      </tr>`)}</tbody>
    </table></div>
    <${QrDialog} link=${qr} onClose=${() => setQr(null)} />`;
}

export function NoLinks({ children }) {
  return html`<${Empty}><p>${t('links.empty')}</p>${children}</${Empty}>`;
}
