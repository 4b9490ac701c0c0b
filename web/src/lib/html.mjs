// html.mjs: the one place that imports the vendored Preact, its hooks and
// htm; screens import html, the hooks and render from here.
import { h, render, Fragment, createContext } from '../../vendor/preact.mjs';
import htm from '../../vendor/htm.mjs';

export {
  useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback, useContext,
} from '../../vendor/hooks.mjs';
export { h, render, Fragment, createContext };

// html`<div class=${c}>${x}</div>`: JSX-like templates without a build step.
export const html = htm.bind(h);
