// settings.mjs: Settings, /app/settings (brand and partner): the table
// API keys (GET /api/v1/api-keys: Name, Prefix, Created, Last used),
// Create API key (a dialog: Name; then the new key, shown this once, in a
// readonly textbox with Copy) and Revoke (a dialog to confirm; DELETE
// /api/v1/api-keys/{id}: the key fails from the next request on; 409
// last_key is the dialog's alert).
import { html, useEffect, useRef, useState } from './lib/html.mjs';
import { api } from './lib/api.mjs';
import { formatTime, t } from './lib/i18n.mjs';
import {
  Empty, Failed, FieldError, FormAlert, Loading, NO_ERRORS, Page, announce, copyText, fieldAttrs,
  fieldError, markReady, toErrors, useFocusInvalid, useResource,
} from './lib/ui.mjs';
import { Dialog } from './lib/dialogs.mjs';

function CreateDialog({ open, onClose, onCreated }) {
  const [name, setName] = useState('');
  const [created, setCreated] = useState(null);
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  const keyRef = useRef(null);
  useFocusInvalid(formRef, errors);
  useEffect(() => {
    if (open) { setName(''); setCreated(null); setErrors(NO_ERRORS); setBusy(false); }
  }, [open]);
  useEffect(() => { if (created && keyRef.current) keyRef.current.select(); }, [created]);
  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    if (!name.trim()) return setErrors(fieldError('name', 'missing_field'));
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const k = await api.post('/api-keys', { name: name.trim() });
      setCreated(k);
      onCreated(k);
    } catch (err) {
      setErrors(toErrors(err, { name: 'name' }));
    }
    setBusy(false);
  }
  function close() {
    // the secret is not kept once the dialog is closed
    setCreated(null);
    onClose();
  }
  return html`<${Dialog} open=${open} onClose=${close} title=${t('settings.create')}>
    ${created
      ? html`<div class="form">
          <p>${t('settings.createdText', { name: created.name })}</p>
          <div class="field">
            <label for="st-key">${t('settings.keyLabel')}</label>
            <div class="copy-row">
              <input id="st-key" type="text" readonly value=${created.api_key} ref=${keyRef}
                aria-describedby="st-key-hint" spellcheck="false" autocomplete="off" class="code" />
              <button type="button" onClick=${() => copyText(created.api_key, keyRef.current)}>${t('settings.copy')}</button>
            </div>
            <p class="hint" id="st-key-hint">${t('settings.shownOnce')}</p>
          </div>
          <div class="actions"><button type="button" class="primary" onClick=${close}>${t('settings.done')}</button></div>
        </div>`
      : html`<form class="form" ref=${formRef} onSubmit=${submit} novalidate>
          <${FormAlert} errors=${errors} />
          <div class="field">
            <label for="st-name">${t('settings.name')}</label>
            <input id="st-name" type="text" maxlength="200" autofocus value=${name}
              onInput=${(e) => setName(e.currentTarget.value)} ...${fieldAttrs(errors, 'name', 'st-name', 'st-name-hint')} />
            <p class="hint" id="st-name-hint">${t('settings.nameHint')}</p>
            <${FieldError} errors=${errors} name="name" id="st-name" />
          </div>
          <div class="actions">
            <button type="submit" class="primary" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('settings.create')}</button>
            <button type="button" onClick=${close}>${t('common.cancel')}</button>
          </div>
        </form>`}
  </${Dialog}>`;
}

function RevokeDialog({ target, onClose, onRevoked }) {
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  useEffect(() => { setErrors(NO_ERRORS); setBusy(false); }, [target]);
  async function revoke(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await api.delete(`/api-keys/${target.id}`);
      setBusy(false);
      onRevoked(target);
    } catch (err) {
      setErrors(toErrors(err));
      setBusy(false);
    }
  }
  return html`<${Dialog} open=${!!target} onClose=${onClose}
      title=${target ? t('settings.revokeTitle', { name: target.name }) : ''}>
    ${target && html`<form class="form" onSubmit=${revoke}>
      <${FormAlert} errors=${errors} />
      <p>${t('settings.revokeText', { prefix: target.prefix })}</p>
      <div class="actions">
        <button type="submit" class="primary danger" disabled=${busy} aria-busy=${busy ? 'true' : undefined}>${t('settings.revoke')}</button>
        <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
      </div>
    </form>`}
  </${Dialog}>`;
}

export default function Settings() {
  const keys = useResource((signal) => api.all('/api-keys', { signal }), []);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState(null);
  useEffect(() => { if (!keys.loading) markReady('settings'); }, [keys.loading]);

  let content;
  if (keys.error) content = html`<${Failed} error=${keys.error} onRetry=${keys.reload} />`;
  else if (keys.loading && !keys.data) content = html`<${Loading} rows=${3} />`;
  else if (keys.data.length === 0) {
    content = html`<${Empty}><p>${t('settings.empty')}</p><p>${t('settings.emptyNext')}</p></${Empty}>`;
  } else {
    // explicit roles: at narrow widths the rows are cards (app.css, table.stack)
    const col = (k) => t(`settings.col.${k}`);
    content = html`<div class="table-wrap"><table role="table" aria-labelledby="st-keys" class="stack">
      <thead role="rowgroup"><tr role="row">
        <th role="columnheader" scope="col">${col('name')}</th>
        <th role="columnheader" scope="col">${col('prefix')}</th>
        <th role="columnheader" scope="col">${col('created')}</th>
        <th role="columnheader" scope="col">${col('lastUsed')}</th>
        <th role="columnheader" scope="col"><span class="sr-only">${t('common.actions')}</span></th>
      </tr></thead>
      <tbody role="rowgroup">${keys.data.map((k) => html`<tr role="row" key=${k.id}>
        <th role="rowheader" scope="row">${k.name}</th>
        <td role="cell" class="code" data-label=${col('prefix')}>${k.prefix}…</td>
        <td role="cell" data-label=${col('created')}>${formatTime(k.created_at)}</td>
        <td role="cell" data-label=${col('lastUsed')}>${k.last_used_at ? formatTime(k.last_used_at) : html`<span class="muted">${t('settings.never')}</span>`}</td>
        <td role="cell"><div class="row-actions">
          <button type="button" onClick=${() => setRevoking(k)}>${t('settings.revoke')}</button>
        </div></td>
      </tr>`)}</tbody>
    </table></div>`;
  }

  return html`<${Page} title=${t('settings.title')}>
    <section aria-labelledby="st-keys">
      <div class="inline section-head">
        <h2 id="st-keys">${t('settings.keys')}</h2>
        <button type="button" class="primary" onClick=${() => setCreating(true)}>${t('settings.create')}</button>
      </div>
      <p class="hint">${t('settings.keysHint')}</p>
      <div aria-busy=${keys.loading ? 'true' : 'false'}>${content}</div>
    </section>
    <${CreateDialog} open=${creating} onClose=${() => setCreating(false)}
      onCreated=${(k) => { keys.reload(); announce('settings.created', { name: k.name }); }} />
    <${RevokeDialog} target=${revoking} onClose=${() => setRevoking(null)}
      onRevoked=${(k) => { setRevoking(null); keys.reload(); announce('settings.revoked', { name: k.name }); }} />
  </${Page}>`;
}
