// links.mjs: Links, /app/links?campaign_id=&partner_id= (brand): every
// link of the brand's programs through GET /api/v1/links, filtered by the
// comboboxes Campaign and Partner (kept in the URL), 100 a page with Load
// more. LinksView is the same view with the campaign fixed, for Manage
// campaign › Links (its Partner filter is then the campaign's partners).
import { html, useEffect, useMemo, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { t } from './lib/i18n.mjs';
import { setQuery, useLocation } from './lib/router.mjs';
import { Failed, Loading, Page, describe, markReady, useResource } from './lib/ui.mjs';
import { LinksTable, NoLinks, useLinkStats } from './linkparts.mjs';

const PAGE = 100;

// Every partner the brand can name: the members of each program (or of
// the one campaign), by id.
async function loadNames(campaignId, signal) {
  const [campaigns, partners] = await Promise.all([
    campaignId ? api.get(`/campaigns/${campaignId}`, { signal }).then((c) => [c]) : api.all('/campaigns', { signal }),
    campaignId ? api.all(`/campaigns/${campaignId}/partners`, { signal })
      : api.all('/programs', { signal }).then((ps) => Promise.all(ps.map((p) => api.all(`/programs/${p.id}/partners`, { signal }))))
        .then((lists) => lists.flat()),
  ]);
  const byPartner = new Map();
  for (const m of partners) byPartner.set(m.partner_id, m.name);
  return { campaigns, partners: [...byPartner].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)) };
}

export function LinksView({ campaignId = null }) {
  const loc = useLocation();
  const campaign = campaignId ? String(campaignId) : (loc.query.get('campaign_id') || '');
  const partner = loc.query.get('partner_id') || '';
  const names = useResource((signal) => loadNames(campaignId, signal), [campaignId]);
  const [list, setList] = useState({ key: null, rows: [], cursor: null, loading: true, error: null });
  const [more, setMore] = useState(false);
  const [moreError, setMoreError] = useState(null);
  const [retry, setRetry] = useState(0);
  const key = `${campaign}|${partner}`;
  const path = api.withQuery('/links', { campaign_id: campaign, partner_id: partner });
  useEffect(() => {
    const ctl = new AbortController();
    setList((l) => ({ ...l, loading: true, error: null }));
    api.list(path, { limit: PAGE, signal: ctl.signal }).then(
      (page) => setList({ key, rows: page.data, cursor: page.next_cursor, loading: false, error: null }),
      (error) => { if (error.name !== 'AbortError') setList({ key, rows: [], cursor: null, loading: false, error }); });
    return () => ctl.abort();
  }, [key, retry]);
  const stats = useLinkStats({ campaign_id: campaign, partner_id: partner }, [key, retry]);

  async function loadMore() {
    setMore(true);
    setMoreError(null);
    try {
      const page = await api.list(path, { limit: PAGE, cursor: list.cursor });
      setList((cur) => (cur.key !== key ? cur : { ...cur, rows: cur.rows.concat(page.data), cursor: page.next_cursor }));
    } catch (err) {
      setMoreError(err);
    }
    setMore(false);
  }

  const pname = useMemo(() => new Map((names.data ? names.data.partners : []).map((p) => [p.id, p.name])), [names.data]);
  const cname = useMemo(() => new Map((names.data ? names.data.campaigns : []).map((c) => [c.id, c.name])), [names.data]);
  const ready = !list.loading && list.key === key && !names.loading;
  useEffect(() => { if (ready) markReady('links'); }, [ready, key]);

  let content;
  if (list.error || names.error) {
    content = html`<${Failed} error=${list.error || names.error} onRetry=${() => { names.reload(); setRetry((n) => n + 1); }} />`;
  } else if (!ready) {
    content = html`<${Loading} rows=${5} />`;
  } else if (list.rows.length === 0) {
    content = html`<${NoLinks}><p>${t(campaign || partner ? 'links.emptyFiltered' : 'links.emptyNext')}</p></${NoLinks}>`;
  } else {
    const under = campaignId ? null : (l) => cname.get(l.campaign_id) || `#${l.campaign_id}`;
    content = html`<${LinksTable} links=${list.rows} partnerName=${(id) => pname.get(id) || `#${id}`}
        stats=${stats} brand=${true} under=${under}
        onChanged=${(l) => setList((cur) => ({ ...cur, rows: cur.rows.map((x) => (x.id === l.id ? l : x)) }))} />
      <div class="more">
        ${list.cursor
          ? html`<button type="button" onClick=${loadMore} disabled=${more} aria-busy=${more ? 'true' : undefined}>${t('common.loadMore')}</button>`
          : html`<p class="muted">${t('common.showingAll', { n: list.rows.length })}</p>`}
      </div>
      ${moreError && html`<p class="field-error" role="alert">${describe(moreError)}</p>`}`;
  }

  return html`<div class="toolbar">
      ${!campaignId && html`<div class="field">
        <label for="lk-campaign">${t('links.campaign')}</label>
        <select id="lk-campaign" value=${campaign} onChange=${(e) => setQuery({ campaign_id: e.currentTarget.value })}>
          <option value="">${t('links.allCampaigns')}</option>
          ${(names.data ? names.data.campaigns : []).map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}</option>`)}
        </select>
      </div>`}
      <div class="field">
        <label for="lk-partner">${t('links.partner')}</label>
        <select id="lk-partner" value=${partner} onChange=${(e) => setQuery({ partner_id: e.currentTarget.value })}>
          <option value="">${t('links.allPartners')}</option>
          ${(names.data ? names.data.partners : []).map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.name}</option>`)}
        </select>
      </div>
    </div>
    <p class="hint">${t('links.statsHint')}</p>
    <div aria-busy=${ready ? 'false' : 'true'}>${content}</div>`;
}

export default function Links() {
  return html`<${Page} title=${t('links.title')}><${LinksView} /></${Page}>`;
}
