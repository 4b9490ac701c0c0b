// login.mjs: /app/login. POST /api/v1/session; a brand lands on the
// Campaign Manager, a partner on the task manager, or both on ?next=
// (a path under /app/ only).
import { html, useEffect, useRef, useState } from './lib/html.mjs';
import { t } from './lib/i18n.mjs';
import { landingOf, signIn } from './lib/session.mjs';
import { navigate, useLocation } from './lib/router.mjs';
import {
  FieldError, FormAlert, NO_ERRORS, Page, fieldAttrs, markReady, toErrors, useFocusInvalid,
} from './lib/ui.mjs';

export default function Login() {
  const loc = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(NO_ERRORS);
  const form = useRef(null);
  useFocusInvalid(form, errors);
  useEffect(() => markReady('login'), []);

  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      const s = await signIn(email.trim(), password);
      navigate(landingOf(s, loc.query.get('next')), { replace: true });
    } catch (err) {
      // every sign-in failure is said once, atop the form
      setErrors(toErrors(err, {}));
      setBusy(false);
    }
  }

  return html`<${Page} title=${t('login.title')} narrow>
    <form class="form" ref=${form} onSubmit=${submit} novalidate>
      <${FormAlert} errors=${errors} />
      <div class="field">
        <label for="login-email">${t('login.email')}</label>
        <input id="login-email" type="email" name="email" autocomplete="username" required
          value=${email} onInput=${(e) => setEmail(e.currentTarget.value)}
          ...${fieldAttrs(errors, 'email', 'login-email')} />
        <${FieldError} errors=${errors} name="email" id="login-email" />
      </div>
      <div class="field">
        <label for="login-password">${t('login.password')}</label>
        <input id="login-password" type="password" name="password" autocomplete="current-password"
          required value=${password} onInput=${(e) => setPassword(e.currentTarget.value)}
          ...${fieldAttrs(errors, 'password', 'login-password')} />
        <${FieldError} errors=${errors} name="password" id="login-password" />
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy}
          aria-busy=${busy ? 'true' : undefined}>${t('login.submit')}</button>
      </div>
    </form>
  </${Page}>`;
}
