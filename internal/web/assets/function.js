// A function's page: figures, charts, invocation history, a live log
// tail, an invoke box, instances, configuration, versions and aliases.

import { call, fnPath, lambdaPath } from './api.js';
import { el, table, fmt, badge, summarize, stat, section, periodPicker, periodMs, PRICES, requestCost, computeCost } from './util.js';
import { buckets, countChart, lineChart } from './charts.js';
import { instanceState } from './functions.js';
import { logTail } from './logtail.js';

const outcomeKind = { success: 'ok', error: 'bad', timeout: 'bad', crash: 'bad' };

export async function functionView(main, ctx, name) {
  const f = await call(fnPath(name));
  let period = '1h';
  const state = el('span', { class: 'state' });
  const stats = el('div', { class: 'stats', 'aria-live': 'polite' });
  const charts = el('div', { class: 'charts' });
  const history = el('div', {});
  const instances = el('div', {});
  const refresh = async () => {
    const [recs, inst] = await Promise.all([
      call('/v1/usage/records?function=' + encodeURIComponent(name) + '&since=' + period + '&limit=10000'),
      call(fnPath(name, '/instances')).catch(() => null),
    ]);
    renderFigures(recs.records, stats, charts, period);
    history.replaceChildren(historyTable(recs.records));
    if (recs.truncated) history.append(el('p', { class: 'note' }, 'Older calls of the period are left out.'));
    const st = instanceState(inst);
    state.replaceChildren(badge(st.label, st.kind));
    instances.replaceChildren(instancesBlock(inst, recs.records));
  };

  main.append(
    el('div', { class: 'page-head' },
      el('div', {},
        el('p', { class: 'crumbs' }, el('a', { href: '/ui/functions', 'data-nav': true }, 'Functions'), ' / '),
        el('h1', {}, f.name, ' ', state),
        el('p', { class: 'sub' }, `${f.runtime_name || f.runtime} · ${f.memory_mb} MB · ${f.timeout_s} s timeout · revision ${f.revision}`)),
      periodPicker(period, p => { period = p; refresh(); })),
    stats, charts,
    el('div', { class: 'two' }, invokeBox(name, () => refresh()), section('Instances', instances)),
    section('Invocations', history),
    section('Live logs', logTail(ctx, name)),
    el('div', { class: 'two' }, section('Configuration', configBlock(f)), section('Versions and aliases', versionsBlock(name))),
    failedBlock(name));
  await refresh();
  ctx.every(5000, refresh);
}

function renderFigures(records, stats, charts, period) {
  const s = summarize(records);
  const gbs = records.reduce((a, r) => a + r.gb_s, 0);
  stats.replaceChildren(
    stat('Invocations', fmt.int(s.n)),
    stat('Errors', fmt.int(s.errors), fmt.pct(s.errors, s.n)),
    stat('p50', fmt.ms(s.p50)),
    stat('p99', fmt.ms(s.p99)),
    stat('Cold starts', fmt.int(s.cold), fmt.pct(s.cold, s.n)),
    stat('Cost', fmt.usd(s.cost), `${fmt.usd(requestCost(s.n))} requests + ${fmt.usd(computeCost(gbs))} for ${gbs.toFixed(6)} GB-s`));
  stats.title = PRICES.label;
  const bs = buckets(records, periodMs(period), 30);
  const pick = p => b => {
    if (!b.records.length) return null;
    const d = b.records.map(r => r.duration_ms).sort((x, y) => x - y);
    return d[Math.max(0, Math.ceil(p / 100 * d.length) - 1)];
  };
  charts.replaceChildren(
    countChart('Invocations and errors', bs),
    lineChart('Latency', bs, [{ label: 'p50', cls: 'p50', value: pick(50) }, { label: 'p99', cls: 'p99', value: pick(99) }], fmt.ms));
}

function historyTable(records) {
  const rows = records.slice(-100).reverse().map(r => ({ r, attrs: { 'data-request-id': r.request_id } }));
  return table('Invocation history, newest first', [
    { label: 'Time', cell: ({ r }) => el('time', { datetime: r.time }, fmt.datetime(r.time)) },
    { label: 'Request ID', cell: ({ r }) => el('code', { class: 'rid' }, r.request_id) },
    { label: 'Version', cell: ({ r }) => r.version },
    { label: 'Duration', num: true, cell: ({ r }) => fmt.ms(r.duration_ms) },
    { label: 'Billed', num: true, cell: ({ r }) => r.billed_ms + ' ms' },
    { label: 'Memory', num: true, cell: ({ r }) => `${r.max_memory_mb} / ${r.memory_mb} MB` },
    { label: 'Start', cell: ({ r }) => r.cold ? badge('cold' + (r.init_ms ? ' · init ' + fmt.ms(r.init_ms) : ''), 'cold') : badge('warm', 'ok') },
    { label: 'Status', cell: ({ r }) => badge(r.outcome, outcomeKind[r.outcome] || '') },
  ], rows, 'No invocations in this period.');
}

function instancesBlock(inst, records) {
  if (!inst) return el('p', { class: 'empty' }, 'Instances are not available.');
  const st = instanceState(inst);
  const c = inst.concurrency || {};
  const prov = Object.entries(c.provisioned || {}).map(([q, n]) => `${n} on ${q}`).join(', ');
  const cold = records.filter(r => r.cold).length;
  return el('div', {},
    el('div', { class: 'stats small' },
      stat('Busy', fmt.int(st.busy)), stat('Warm', fmt.int(st.warm)), stat('Starting', fmt.int(st.starting)),
      stat('Cold / warm starts', `${cold} / ${records.length - cold}`)),
    el('dl', { class: 'kv' },
      el('dt', {}, 'Reserved concurrency'), el('dd', {}, c.reserved == null ? 'unreserved (shares the tenant pool)' : String(c.reserved)),
      el('dt', {}, 'Provisioned'), el('dd', {}, prov || 'none'),
      el('dt', {}, 'Max instances'), el('dd', {}, c.max_instances ? String(c.max_instances) : 'no cap')),
    table('Instances', [
      { label: 'Version', cell: i => versionLabel(i.version) },
      { label: 'State', cell: i => badge(i.state, i.state === 'busy' ? 'run' : 'ok') },
      { label: 'Provisioned', cell: i => i.provisioned ? 'yes' : 'no' },
      { label: 'Idle since', cell: i => i.idle_since ? fmt.time(i.idle_since) : '–' },
    ], inst.instances || [], 'No instances: the function is scaled to zero.'));
}

// versionLabel shows an instance's version key (tenant/name/version/revision).
function versionLabel(key) {
  const p = String(key).split('/');
  return p.length === 4 ? `${p[2]} (revision ${p[3]})` : key;
}

function invokeBox(name, after) {
  const out = el('div', { class: 'invoke-result', 'aria-live': 'polite' });
  const ta = el('textarea', { id: 'invoke-event', rows: 5, spellcheck: 'false' }, '{"hello": "world"}');
  const btn = el('button', { type: 'submit', class: 'primary' }, 'Invoke');
  const form = el('form', {
    async onsubmit(e) {
      e.preventDefault();
      btn.disabled = true;
      out.replaceChildren(el('p', { class: 'loading' }, 'Invoking…'));
      try {
        const res = await call(lambdaPath(name, '/invocations'), {
          method: 'POST', body: ta.value, raw: true, headers: { 'X-Amz-Log-Type': 'Tail', 'Content-Type': 'application/json' },
        });
        const text = await res.text();
        const fnErr = res.headers.get('X-Amz-Function-Error');
        const log = res.headers.get('X-Amz-Log-Result');
        out.replaceChildren(el('div', {},
          el('p', {}, badge(fnErr ? 'function error: ' + fnErr : 'succeeded', fnErr ? 'bad' : 'ok'), ' ',
            el('span', { class: 'muted' }, 'request '), el('code', { class: 'rid', 'data-invoked': true }, res.headers.get('X-Amzn-RequestId') || ''),
            el('span', { class: 'muted' }, ' on version ' + (res.headers.get('X-Amz-Executed-Version') || '?'))),
          el('pre', { class: 'out' }, text),
          log ? el('details', {}, el('summary', {}, 'Log tail'), el('pre', { class: 'out' }, decodeLog(log))) : null));
      } catch (err) {
        out.replaceChildren(el('p', { class: 'error', role: 'alert' }, err.message));
      } finally {
        btn.disabled = false;
        after();
      }
    },
  }, el('label', { for: 'invoke-event' }, 'Test event (JSON)'), ta, el('div', { class: 'actions' }, btn));
  return section('Invoke', form, out);
}

function decodeLog(b64) {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(b64), c => c.charCodeAt(0)));
  } catch { return ''; }
}

function configBlock(f) {
  const env = Object.keys(f.env || {});
  const rows = [
    ['Runtime', f.runtime_name || f.runtime], ['Handler', f.handler || '–'], ['Memory', f.memory_mb + ' MB'],
    ['Timeout', f.timeout_s + ' s'], ['Ephemeral storage', (f.ephemeral_storage_mb || 512) + ' MB'],
    ['Network', f.network || 'default'], ['Code', `${fmt.bytes(f.code_size)}, sha256 ${String(f.code_sha256).slice(0, 12)}…`],
    ['Environment', env.length ? env.join(', ') + ' (values hidden)' : 'none'],
    ['Function URL', f.url ? `${location.origin}/url/${f.url.id}/ (auth ${f.url.auth_type})` : 'none'],
    ['Dead-letter target', f.dead_letter_arn || 'none'],
    ['Triggers', (f.triggers || []).length ? f.triggers.map(t => t.kind).join(', ') : 'none'],
    ['Created', fmt.datetime(f.created_at)], ['Updated', fmt.datetime(f.updated_at)],
  ];
  if (f.description) rows.unshift(['Description', f.description]);
  return el('dl', { class: 'kv' }, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function versionsBlock(name) {
  const box = el('div', {}, el('p', { class: 'loading' }, 'Loading…'));
  Promise.all([call(lambdaPath(name, '/versions')), call(lambdaPath(name, '/aliases'))]).then(([v, a]) => {
    box.replaceChildren(
      table('Versions', [
        { label: 'Version', cell: x => x.Version },
        { label: 'Description', cell: x => x.Description || '–' },
        { label: 'Code SHA-256', cell: x => el('code', {}, String(x.CodeSha256).slice(0, 12) + '…') },
        { label: 'Modified', cell: x => fmt.datetime(x.LastModified) },
      ], v.Versions || [], 'Only $LATEST.'),
      el('h3', {}, 'Aliases'),
      table('Aliases', [
        { label: 'Alias', cell: x => x.Name },
        { label: 'Version', cell: x => x.FunctionVersion },
        { label: 'Routing', cell: x => Object.entries((x.RoutingConfig || {}).AdditionalVersionWeights || {}).map(([k, w]) => `${Math.round(w * 100)}% to ${k}`).join(', ') || 'all traffic' },
      ], a.Aliases || [], 'No aliases.'));
  }).catch(err => box.replaceChildren(el('p', { class: 'error' }, err.message)));
  return box;
}

function failedBlock(name) {
  const box = el('div', {});
  call(fnPath(name, '/events/failed?max=20')).then(({ events }) => {
    if (!events || !events.length) return;
    box.replaceChildren(section('Failed asynchronous events', table('Failed events', [
      { label: 'Failed at', cell: e => fmt.datetime(e.failed_at) },
      { label: 'Request ID', cell: e => el('code', { class: 'rid' }, e.request_id) },
      { label: 'Condition', cell: e => e.condition },
      { label: 'Attempts', num: true, cell: e => String(e.attempts) },
      { label: 'Why', cell: e => e.why },
    ], events)));
  }).catch(() => {});
  return box;
}
