// DOM building and number formatting. Text always goes in as text nodes,
// never as HTML, so names and log lines cannot inject markup.

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
}

// link is an in-app link: the router handles its clicks.
export const link = (href, ...children) => el('a', { href, 'data-nav': true }, ...children);

export function table(caption, columns, rows, empty) {
  if (!rows.length) return el('p', { class: 'empty' }, empty || 'Nothing yet.');
  return el('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    el('table', {},
      el('caption', { class: 'sr-only' }, caption),
      el('thead', {}, el('tr', {}, columns.map(c => el('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      el('tbody', {}, rows.map(r => el('tr', r.attrs || {}, columns.map(c =>
        el('td', { class: c.num ? 'num' : null, 'data-label': c.label }, c.cell(r))))))));
}

export function section(title, ...children) {
  const id = 'h-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return el('section', { class: 'card', 'aria-labelledby': id }, el('h2', { id }, title), ...children);
}

export const badge = (text, kind) => el('span', { class: 'badge ' + (kind || '') }, text);

export const fmt = {
  int: n => Number(n || 0).toLocaleString('en-US'),
  ms(n) {
    if (n == null || Number.isNaN(n)) return '–';
    if (n >= 1000) return (n / 1000).toFixed(2) + ' s';
    return (n < 10 ? n.toFixed(2) : n.toFixed(1)) + ' ms';
  },
  pct: (a, b) => b ? (100 * a / b).toFixed(1) + '%' : '–',
  // usd shows small amounts to the 10th decimal, as a bill of a few
  // calls is a fraction of a cent.
  usd(n) {
    if (!n) return '$0.00';
    if (n >= 0.01) return '$' + n.toFixed(2);
    let s = n.toFixed(10).replace(/0+$/, '');
    if (s.endsWith('.')) s += '00';
    return '$' + s;
  },
  time: t => new Date(t).toLocaleTimeString('en-GB', { hour12: false }),
  datetime: t => new Date(t).toLocaleString('en-GB', { hour12: false }),
  bytes(n) {
    const u = ['B', 'KB', 'MB', 'GB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + u[i];
  },
};

// percentile by nearest rank; values need not be sorted.
export function percentile(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p / 100 * s.length) - 1)];
}

// The default price table: AWS Lambda's public prices (x86, no free tier).
// A billing API, when the server has one, is the authority.
export const PRICES = {
  label: 'Default price table: AWS Lambda public prices, x86, no free tier',
  perMillionRequests: 0.20,
  perGBSecond: 0.0000166667,
};

export const requestCost = n => n * PRICES.perMillionRequests / 1e6;
export const computeCost = gbs => gbs * PRICES.perGBSecond;
export const cost = (n, gbs) => requestCost(n) + computeCost(gbs);

// periods offered by the period pickers, as the APIs' since parameter.
export const PERIODS = [['15m', '15 minutes'], ['1h', '1 hour'], ['6h', '6 hours'], ['24h', '24 hours'], ['168h', '7 days']];
export const periodMs = p => ({ '15m': 9e5, '1h': 36e5, '6h': 216e5, '24h': 864e5, '168h': 6048e5 })[p] || 36e5;

export function periodPicker(value, onchange) {
  const id = 'period-' + Math.random().toString(36).slice(2, 8);
  return el('div', { class: 'field inline' },
    el('label', { for: id }, 'Period'),
    el('select', { id, onchange: e => onchange(e.target.value) },
      PERIODS.map(([v, label]) => el('option', { value: v, selected: v === value }, 'Last ' + label))));
}

// stat is a figure card.
export const stat = (label, value, extra) =>
  el('div', { class: 'stat', 'data-stat': label }, el('div', { class: 'stat-label' }, label), el('div', { class: 'stat-value' + (String(value).length > 10 ? ' long' : '') }, value), extra ? el('div', { class: 'stat-extra' }, extra) : null);

// summarize turns usage records into the figures the views show.
export function summarize(records) {
  const d = records.map(r => r.duration_ms);
  const n = records.length;
  const errors = records.filter(r => r.outcome !== 'success').length;
  const gbs = records.reduce((a, r) => a + r.gb_s, 0);
  return {
    n, errors, gbs,
    cold: records.filter(r => r.cold).length,
    p50: percentile(d, 50), p99: percentile(d, 99),
    cost: cost(n, gbs),
  };
}
