// todo.mjs: stands in for a screen that is not built yet (its route gives
// the h1's i18n key), so that the navigation works everywhere.
import { html, useEffect } from './lib/html.mjs';
import { t } from './lib/i18n.mjs';
import { Empty, Page, markReady } from './lib/ui.mjs';

export default function Todo({ route }) {
  useEffect(() => markReady('todo'), []);
  return html`<${Page} title=${t(route.title)}>
    <${Empty}><p>${t('todo.text')}</p></${Empty}>
  </${Page}>`;
}
