// Charts drawn as inline SVG: bars per time bucket, and lines.

import { el, fmt } from './util.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 640, H = 180, L = 52, R = 12, T = 12, B = 26;

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, String(v));
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// buckets splits records into n equal time buckets ending now.
export function buckets(records, spanMs, n, now = Date.now()) {
  const size = spanMs / n, start = now - spanMs;
  const out = Array.from({ length: n }, (_, i) => ({ t: start + i * size, size, records: [] }));
  for (const r of records) {
    const i = Math.floor((Date.parse(r.time) - start) / size);
    if (i >= 0 && i < n) out[i].records.push(r);
  }
  return out;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function frame(title, max, unitFmt, bs, legend) {
  const g = svg('g');
  const plotH = H - T - B;
  for (let i = 0; i <= 4; i++) {
    const y = T + plotH - plotH * i / 4;
    g.append(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid' }));
    g.append(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, unitFmt(max * i / 4)));
  }
  const step = Math.max(1, Math.ceil(bs.length / 6));
  const bw = (W - L - R) / bs.length;
  bs.forEach((b, i) => {
    if (i % step === 0) g.append(svg('text', { x: L + i * bw + bw / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis' }, fmt.time(b.t).slice(0, 5)));
  });
  return el('figure', { class: 'chart' },
    el('figcaption', {}, title, legend ? el('span', { class: 'legend' }, legend.map(([cls, label]) =>
      el('span', { class: 'key' }, el('span', { class: 'swatch ' + cls, 'aria-hidden': 'true' }), label))) : null),
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title }, svg('title', {}, title), g));
}

// countChart: invocations per bucket, errors stacked in a second colour.
export function countChart(title, bs) {
  const counts = bs.map(b => b.records.length);
  const max = niceMax(Math.max(...counts, 1));
  const fig = frame(title, max, v => Number.isInteger(v) ? String(v) : v.toFixed(1), bs, [['ok', 'succeeded'], ['err', 'errors']]);
  const g = fig.querySelector('svg g');
  const plotH = H - T - B, bw = (W - L - R) / bs.length;
  bs.forEach((b, i) => {
    const n = b.records.length;
    if (!n) return;
    const errs = b.records.filter(r => r.outcome !== 'success').length;
    const x = L + i * bw + bw * 0.15, w = bw * 0.7;
    const h = plotH * n / max, he = plotH * errs / max;
    const tip = `${fmt.time(b.t)}: ${n} invocations, ${errs} errors`;
    g.append(svg('rect', { x, y: T + plotH - h, width: w, height: h - he, class: 'bar ok' }, svg('title', {}, tip)));
    if (errs) g.append(svg('rect', { x, y: T + plotH - he, width: w, height: he, class: 'bar err' }, svg('title', {}, tip)));
  });
  return fig;
}

// lineChart: one line per series over the buckets; null values leave gaps.
export function lineChart(title, bs, series, unitFmt) {
  const all = series.flatMap(s => bs.map(s.value)).filter(v => v != null);
  const max = niceMax(Math.max(...all, 0));
  const fig = frame(title, max, unitFmt, bs, series.map(s => [s.cls, s.label]));
  const g = fig.querySelector('svg g');
  const plotH = H - T - B, bw = (W - L - R) / bs.length;
  for (const s of series) {
    const pts = bs.map((b, i) => [b, i, s.value(b)]).filter(p => p[2] != null)
      .map(([b, i, v]) => ({ b, v, x: L + i * bw + bw / 2, y: T + plotH - plotH * v / max }));
    // Consecutive buckets are joined; a bucket without calls breaks the line.
    let d = '', last = -2;
    for (const p of pts) {
      const i = bs.indexOf(p.b);
      d += `${i === last + 1 ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)} `;
      last = i;
    }
    if (d) g.append(svg('path', { d, class: 'line ' + s.cls }));
    for (const p of pts) {
      g.append(svg('circle', { cx: p.x, cy: p.y, r: 3, class: 'dot ' + s.cls }, svg('title', {}, `${fmt.time(p.b.t)} ${s.label}: ${unitFmt(p.v)}`)));
    }
  }
  return fig;
}
