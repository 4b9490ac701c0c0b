// chart.mjs: the UI's one chart, a bar chart drawn as SVG by us (no
// library). It is an image with a name (role="img", aria-label) and says
// nothing more to assistive technology: the data table that always
// follows it is the accessible version, with every figure.
//
//   <${BarChart} label="Clicks by Day" points=${[{label: 'Nov 29', value: 3, title: '…'}]}
//      format=${(v) => formatNumber(v)} layout="time" />
//
// layout "time": vertical bars in order (days, hours), with as many axis
// labels as fit; "category": one horizontal bar per point (campaigns,
// partners, …), named at its left. The SVG is drawn at the width of its
// box (a ResizeObserver), so that text keeps its size at 360 px.
import { html, useEffect, useRef, useState } from './html.mjs';

const FONT = 12;

// A round axis maximum ≥ v: 1, 2 or 5 × 10^k.
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function useWidth(ref, initial) {
  const [w, setW] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver(([e]) => {
      const next = Math.floor(e.contentRect.width);
      if (next > 0) setW(next);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return w;
}

// A label cut to n characters in the middle: the end of a link's URL (its
// code) tells links apart, as the start of a name does.
function clip(s, n) {
  if (s.length <= n) return s;
  const head = Math.floor((n - 1) * 0.4);
  return `${s.slice(0, head)}…${s.slice(s.length - (n - 1 - head))}`;
}

function TimeBars({ width, points, format, label }) {
  const height = 220;
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const left = Math.min(90, Math.max(36, format(max).length * 7.2 + 10));
  const right = 8;
  const top = 10;
  const bottom = 24;
  const plotW = Math.max(10, width - left - right);
  const plotH = height - top - bottom;
  const step = plotW / Math.max(1, points.length);
  const barW = Math.max(1, step * 0.78);
  const every = Math.max(1, Math.ceil(72 / step)); // an axis label per 72 px at most
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return html`<svg width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`}
      role="img" aria-label=${label} class="chart-svg" focusable="false" data-points=${points.length}>
    ${ticks.map((f) => {
      const y = top + plotH * (1 - f);
      return html`<g key=${f}>
        <line class="chart-grid" x1=${left} x2=${width - right} y1=${y} y2=${y} />
        <text class="chart-text" x=${left - 6} y=${y + 4} text-anchor="end">${format(max * f)}</text>
      </g>`;
    })}
    ${points.map((p, i) => {
      const h = max > 0 ? (p.value / max) * plotH : 0;
      const x = left + i * step + (step - barW) / 2;
      return html`<g key=${i}>
        ${p.value > 0 && html`<rect class="chart-bar" x=${x} y=${top + plotH - h} width=${barW} height=${Math.max(h, 1)}>
          <title>${p.title || `${p.label}: ${format(p.value)}`}</title></rect>`}
        ${i % every === 0 && html`<text class="chart-text" x=${left + i * step + step / 2} y=${height - 8}
          text-anchor="middle">${p.label}</text>`}
      </g>`;
    })}
    <line class="chart-axis" x1=${left} x2=${width - right} y1=${top + plotH} y2=${top + plotH} />
  </svg>`;
}

function CategoryBars({ width, points, format, label }) {
  const rowH = 26;
  const top = 4;
  const labelW = Math.min(200, Math.max(80, width * 0.32));
  const valueW = Math.min(110, Math.max(56, Math.max(...points.map((p) => format(p.value).length)) * 7.4 + 10));
  const plotW = Math.max(10, width - labelW - valueW - 8);
  const max = Math.max(0, ...points.map((p) => p.value));
  const height = top * 2 + rowH * points.length;
  const chars = Math.max(6, Math.floor(labelW / 7.5));
  return html`<svg width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`}
      role="img" aria-label=${label} class="chart-svg" focusable="false" data-points=${points.length}>
    ${points.map((p, i) => {
      const y = top + i * rowH;
      const w = max > 0 ? (p.value / max) * plotW : 0;
      return html`<g key=${i}>
        <text class="chart-text" x=${labelW - 6} y=${y + rowH / 2 + 4} text-anchor="end">${clip(p.label, chars)}</text>
        <rect class="chart-bar" x=${labelW} y=${y + 4} width=${Math.max(w, p.value > 0 ? 1 : 0)} height=${rowH - 8}>
          <title>${p.title || `${p.label}: ${format(p.value)}`}</title></rect>
        <text class="chart-text" x=${labelW + w + 6} y=${y + rowH / 2 + 4}>${format(p.value)}</text>
      </g>`;
    })}
  </svg>`;
}

// The chart: an <svg role="img" aria-label=label> in a box whose width it takes.
export function BarChart({ label, points, format = String, layout = 'time' }) {
  const box = useRef(null);
  const width = useWidth(box, 640);
  const Bars = layout === 'time' ? TimeBars : CategoryBars;
  return html`<div class="chart" ref=${box}>
    <${Bars} width=${width} points=${points} format=${format} label=${label} />
  </div>`;
}
