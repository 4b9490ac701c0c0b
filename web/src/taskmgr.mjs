// taskmgr.mjs: the partner's Task manager, /app/tasks?q=&campaign_id=.
// Their tasks (GET /api/v1/me/tasks, with each task's campaign and links),
// narrowed by the searchbox Search tasks (title and description) and the
// combobox Campaign, both kept in the URL; one article per task, named by
// its h2, with its campaign, due date, the table Links (Copy, QR code) and
// View task details, where they make their own link.
import { html, useEffect, useMemo } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatDate, t } from './lib/i18n.mjs';
import { setQuery, useLocation } from './lib/router.mjs';
import { Empty, Failed, Loading, Page, markReady, useResource } from './lib/ui.mjs';
import { LinksTable, useLinkStats } from './linkparts.mjs';

export default function TaskManager({ session }) {
  const loc = useLocation();
  const q = loc.query.get('q') || '';
  const campaign = loc.query.get('campaign_id') || '';
  const tasks = useResource((signal) => api.all('/me/tasks', { signal }), []);
  const stats = useLinkStats({}, []);
  useEffect(() => { if (tasks.data) markReady('taskmgr'); }, [!!tasks.data]);

  const campaigns = useMemo(() => {
    const m = new Map();
    for (const x of tasks.data || []) if (x.campaign) m.set(x.campaign.id, x.campaign.name);
    return [...m].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
  }, [tasks.data]);
  const needle = q.trim().toLocaleLowerCase();
  const shown = (tasks.data || []).filter((x) => (!campaign || String(x.campaign_id) === campaign) &&
    (!needle || `${x.title}\n${x.description || ''}`.toLocaleLowerCase().includes(needle)));
  const me = session.account.name;

  let content;
  if (tasks.error) content = html`<${Failed} error=${tasks.error} onRetry=${tasks.reload} />`;
  else if (!tasks.data) content = html`<${Loading} rows=${6} />`;
  else if (tasks.data.length === 0) {
    content = html`<${Empty}><p>${t('taskmgr.empty')}</p><p>${t('taskmgr.emptyNext')}</p></${Empty}>`;
  } else if (shown.length === 0) {
    content = html`<${Empty}><p>${t('taskmgr.noMatch')}</p></${Empty}>`;
  } else {
    content = html`<ul class="task-list" aria-label=${t('taskmgr.list')}>
      ${shown.map((x) => html`<li key=${x.id}><article aria-labelledby=${`tm-${x.id}`} class="task-card">
        <h2 id=${`tm-${x.id}`}>${x.title}</h2>
        <p class="muted">${x.campaign ? x.campaign.name : ''} · ${x.due_at ? t('taskmgr.due', { date: formatDate(x.due_at) }) : t('taskmgr.noDue')}</p>
        ${x.links.length
          ? html`<${LinksTable} links=${x.links} partnerName=${() => me} stats=${stats} />`
          : html`<p class="hint">${t('taskmgr.noLinks')}</p>`}
        <p><a href=${`/app/tasks/${x.id}`}>${t('taskmgr.view')}</a></p>
      </article></li>`)}
    </ul>`;
  }

  return html`<${Page} title=${t('taskmgr.title')}>
    <div class="toolbar" role="search">
      <div class="field">
        <label for="tm-q">${t('taskmgr.search')}</label>
        <input id="tm-q" type="search" value=${q} autocomplete="off"
          onInput=${(e) => setQuery({ q: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for="tm-campaign">${t('taskmgr.campaign')}</label>
        <select id="tm-campaign" value=${campaign} onChange=${(e) => setQuery({ campaign_id: e.currentTarget.value })}>
          <option value="">${t('taskmgr.allCampaigns')}</option>
          ${campaigns.map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}</option>`)}
        </select>
      </div>
    </div>
    <p class="hint">${t('links.statsHint')}</p>
    <div aria-busy=${tasks.data ? 'false' : 'true'}>${content}</div>
  </${Page}>`;
}
