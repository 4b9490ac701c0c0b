// dialogs.mjs: a modal dialog on the native <dialog> (showModal: focus
// moves in and is kept there, Escape closes, the page behind is inert).
//
//   <${Dialog} open=${open} title=${t('x.title')} onClose=${() => setOpen(false)}>
//     …content…
//   </${Dialog}>
//
// The dialog is named by its h2. On closing, the focus goes back to the
// control that opened it, or, when that is gone (the row it was in has
// left the table), to `fallback` (a selector; the page's h1 by default),
// unless the page has already put it somewhere.
import { html, useEffect, useRef } from './html.mjs';

let seq = 0;

export function Dialog({ open, title, onClose, children, fallback = 'main h1', className = '' }) {
  const ref = useRef(null);
  const opener = useRef(null);
  const id = useRef(`dlg-${++seq}`).current;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);
  function closed() {
    const back = opener.current;
    opener.current = null;
    if (open) onClose();
    // after the render that may remove the opener
    setTimeout(() => {
      const here = document.activeElement;
      if (here && here !== document.body && here.isConnected) return;
      const target = back && back.isConnected && !back.disabled ? back : document.querySelector(fallback);
      if (target && !document.querySelector('dialog[open]')) target.focus();
    }, 0);
  }
  return html`<dialog ref=${ref} class=${`dialog ${className}`} aria-labelledby=${`${id}-title`}
      onClose=${closed}>
    <h2 id=${`${id}-title`}>${title}</h2>
    ${open && children}
  </dialog>`;
}
