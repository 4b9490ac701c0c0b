// postback.mjs: Postback, /app/postback (partner): the partner's postback
// (GET|PUT /api/v1/me/postback: the URL, with its macros, and the events
// it is sent for) and the table Deliveries (GET /api/v1/me/postbacks, the
// newest first (order=desc), filtered by status, Load more; each delivery's attempts
// in a disclosure). Refresh reloads the log: deliveries are made in the
// background, after the conversions that cause them.
import { html, useEffect, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatTime, t } from './lib/i18n.mjs';
import { setQuery, useLocation } from './lib/router.mjs';
import {
  Empty, Failed, FieldError, FormAlert, Loading, NO_ERRORS, Page, announce, describe, fieldAttrs,
  fieldError, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';

export const EVENTS = ['conversion.created', 'conversion.approved', 'conversion.reversed'];
const MACROS = ['conversion_id', 'click_id', 'order_id', 'event_type', 'amount', 'payout', 'currency',
  'status', 'sub_id1', 'sub_id2', 'sub_id3', 'shared_id', 'program_id', 'campaign_id', 'task_id'];
const DELIVERY = ['pending', 'delivered', 'failed'];
const PAGE = 50;

function PostbackForm({ current, onSaved }) {
  const [url, setUrl] = useState(current.url || '');
  const [events, setEvents] = useState(current.url ? current.events : EVENTS);
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  useFocusInvalid(formRef, errors);
  const toggle = (ev, on) => setEvents((list) => EVENTS.filter((x) => (x === ev ? on : list.includes(x))));
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    if (!url.trim()) return setErrors(fieldError('url', 'missing_field'));
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const saved = await api.put('/me/postback', { url: url.trim(), events });
      announce('postback.saved');
      onSaved(saved);
    } catch (err) {
      setErrors(toErrors(err, { url: 'url', events: 'events' }));
    }
    setBusy(false);
  }
  return html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
    <${FormAlert} errors=${errors} />
    <div class="field">
      <label for="pb-url">${t('postback.url')}</label>
      <input id="pb-url" type="url" inputmode="url" spellcheck="false" autocomplete="off" value=${url}
        placeholder="https://partner.example/pb?order={order_id}&payout={payout}"
        onInput=${(e) => setUrl(e.currentTarget.value)} ...${fieldAttrs(errors, 'url', 'pb-url', 'pb-url-hint')} />
      <p class="hint" id="pb-url-hint">${t('postback.urlHint')}</p>
      <${FieldError} errors=${errors} name="url" id="pb-url" />
      <details class="macros">
        <summary>${t('postback.macros')}</summary>
        <p class="hint">${t('postback.macrosHint')}</p>
        <ul class="macro-list">${MACROS.map((m) => html`<li key=${m}><code>${`{${m}}`}</code></li>`)}</ul>
      </details>
    </div>
    <fieldset id="pb-events" aria-labelledby="pb-events-legend" ...${fieldAttrs(errors, 'events', 'pb-events')}>
      <legend id="pb-events-legend">${t('postback.events')}</legend>
      ${EVENTS.map((ev) => {
        const id = `pb-ev-${ev.split('.')[1]}`;
        return html`<div class="choice" key=${ev}>
          <input id=${id} type="checkbox" checked=${events.includes(ev)} aria-describedby=${`${id}-hint`}
            onChange=${(e) => toggle(ev, e.currentTarget.checked)} />
          <div><label for=${id} class="code">${ev}</label>
            <p class="hint" id=${`${id}-hint`}>${t(`postback.event.${ev.split('.')[1]}`)}</p></div>
        </div>`;
      })}
      <p class="hint">${t('postback.eventsHint')}</p>
      <${FieldError} errors=${errors} name="events" id="pb-events" />
    </fieldset>
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('postback.save')}</button>
      ${current.updated_at && html`<span class="hint">${t('postback.updated', { time: formatTime(current.updated_at) })}</span>`}
    </div>
  </form>`;
}

function Attempts({ d }) {
  if (!d.attempt_log || d.attempt_log.length === 0) return html`<span class="muted">0</span>`;
  return html`<details>
    <summary>${d.attempts}</summary>
    <ol class="attempts">${d.attempt_log.map((a, i) => html`<li key=${i}>
      ${formatTime(a.at)}: ${a.http_status != null ? `HTTP ${a.http_status}` : ''}${a.error ? ` ${a.error}` : ''}
    </li>`)}</ol>
  </details>`;
}

function Deliveries({ tick }) {
  const loc = useLocation();
  const status = DELIVERY.includes(loc.query.get('status')) ? loc.query.get('status') : '';
  const path = api.withQuery('/me/postbacks', { status, order: 'desc' });
  const [state, setState] = useState({ key: null, rows: [], cursor: null, loading: true, error: null });
  const [retry, setRetry] = useState(0);
  const [more, setMore] = useState({ busy: false, error: null });
  useEffect(() => {
    const ctl = new AbortController();
    setState((cur) => ({ key: path, rows: cur.key === path ? cur.rows : [], cursor: null, loading: true, error: null }));
    api.list(path, { limit: PAGE, signal: ctl.signal }).then(
      (page) => setState({ key: path, rows: page.data, cursor: page.next_cursor, loading: false, error: null }),
      (error) => { if (error.name !== 'AbortError') setState({ key: path, rows: [], cursor: null, loading: false, error }); });
    return () => ctl.abort();
  }, [path, retry, tick]);
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
  let content;
  if (state.error) content = html`<${Failed} error=${state.error} onRetry=${() => setRetry((n) => n + 1)} />`;
  else if (state.loading && state.rows.length === 0) content = html`<${Loading} rows=${3} />`;
  else if (state.rows.length === 0) {
    content = html`<${Empty}><p>${t(status ? `postback.empty.${status}` : 'postback.empty')}</p><p>${t('postback.emptyNext')}</p></${Empty}>`;
  } else {
    // explicit roles: at narrow widths the rows are cards (app.css, table.stack)
    content = html`<div class="table-wrap"><table role="table" aria-labelledby="pb-deliveries" class="stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${t('postback.col.time')}</th>
        <th role="columnheader" scope="col">${t('postback.col.event')}</th>
        <th role="columnheader" scope="col">${t('postback.col.status')}</th>
        <th role="columnheader" scope="col" class="num">${t('postback.col.attempts')}</th>
        <th role="columnheader" scope="col">${t('postback.col.last')}</th>
        <th role="columnheader" scope="col">${t('postback.col.next')}</th>
        <th role="columnheader" scope="col">${t('postback.col.url')}</th>
      </tr></thead>
      <tbody role="rowgroup">${state.rows.map((d) => html`<tr role="row" key=${d.id}>
        <td role="cell" data-label=${t('postback.col.time')}>${formatTime(d.created_at)}</td>
        <th role="rowheader" scope="row" class="code event" data-label=${t('postback.col.event')}>${d.event}</th>
        <td role="cell" data-label=${t('postback.col.status')}><span class=${`badge dl-${d.status}`}>${t(`postback.status.${d.status}`)}</span></td>
        <td role="cell" class="num" data-label=${t('postback.col.attempts')}><${Attempts} d=${d} /></td>
        <td role="cell" data-label=${t('postback.col.last')}>${d.last_status != null ? d.last_status : html`<span class="muted">—</span>`}</td>
        <td role="cell" data-label=${t('postback.col.next')}>${d.next_attempt_at ? formatTime(d.next_attempt_at) : html`<span class="muted">—</span>`}</td>
        <td role="cell" class="url" data-label=${t('postback.col.url')}>${d.url}</td>
      </tr>`)}</tbody>
    </table></div>
    <div class="more">${state.cursor
      ? html`<button type="button" onClick=${loadMore} disabled=${more.busy}
          aria-busy=${more.busy ? 'true' : undefined}>${t('common.loadMore')}</button>`
      : html`<p class="muted">${t('common.showingAll', { n: state.rows.length })}</p>`}</div>
    ${more.error && html`<p class="field-error" role="alert">${describe(more.error)}</p>`}`;
  }
  return html`<section aria-labelledby="pb-deliveries">
    <h2 id="pb-deliveries">${t('postback.deliveries')}</h2>
    <div class="toolbar">
      <div class="field">
        <label for="pb-status">${t('postback.filter')}</label>
        <select id="pb-status" value=${status} onChange=${(e) => setQuery({ status: e.currentTarget.value })}>
          <option value="">${t('postback.all')}</option>
          ${DELIVERY.map((s) => html`<option key=${s} value=${s}>${t(`postback.status.${s}`)}</option>`)}
        </select>
      </div>
      <button type="button" onClick=${() => setRetry((n) => n + 1)} disabled=${state.loading}
        aria-busy=${state.loading && state.rows.length > 0 ? 'true' : undefined}>${t('postback.refresh')}</button>
      <p class="hint grow">${t('postback.order')}</p>
    </div>
    <div aria-busy=${state.loading ? 'true' : 'false'}>${content}</div>
  </section>`;
}

export default function Postback() {
  const current = useResource((signal) => api.get('/me/postback', { signal }), []);
  const [tick, setTick] = useState(0);
  useEffect(() => { if (!current.loading) markReady('postback'); }, [current.loading]);
  return html`<${Page} title=${t('postback.title')}>
    <p class="hint intro">${t('postback.intro')}</p>
    <div aria-busy=${current.loading ? 'true' : 'false'}>
      ${current.error ? html`<${Failed} error=${current.error} onRetry=${current.reload} />`
        : current.loading && !current.data ? html`<${Loading} rows=${4} />`
        : html`<${PostbackForm} key="form" current=${current.data}
            onSaved=${() => { current.reload(); setTick((n) => n + 1); }} />`}
    </div>
    <${Deliveries} tick=${tick} />
  </${Page}>`;
}
