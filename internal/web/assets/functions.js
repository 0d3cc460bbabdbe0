// The functions list: state, last-hour invocations, errors, p99 and cost.

import { call, fnPath } from './api.js';
import { el, link, table, fmt, badge, summarize, stat, section } from './util.js';

// instanceState names what a function's instances are doing.
export function instanceState(inst) {
  const list = inst ? inst.instances || [] : [];
  const count = s => list.filter(i => i.state === s).length;
  const busy = count('busy'), starting = count('starting');
  const warm = count('idle') + count('provisioned');
  if (busy) return { label: 'running', kind: 'run', busy, warm, starting };
  if (starting) return { label: 'starting', kind: 'run', busy, warm, starting };
  if (warm) return { label: 'warm', kind: 'ok', busy, warm, starting };
  return { label: 'scaled to zero', kind: 'muted', busy, warm, starting };
}

export async function functionsView(main, ctx) {
  main.append(el('h1', {}, 'Functions'));
  const body = el('div', { 'aria-live': 'polite' }, el('p', { class: 'loading' }, 'Loading…'));
  main.append(body);
  const load = async () => {
    const [{ functions }, recs] = await Promise.all([
      call('/v1/functions'),
      call('/v1/usage/records?since=1h&limit=10000'),
    ]);
    const insts = await Promise.all(functions.slice(0, 100).map(f =>
      call(fnPath(f.name, '/instances')).catch(() => null)));
    const byFn = {};
    for (const r of recs.records) (byFn[r.function] = byFn[r.function] || []).push(r);
    const rows = functions.map((f, i) => ({ f, s: summarize(byFn[f.name] || []), st: instanceState(insts[i]) }));
    const all = summarize(recs.records);
    body.replaceChildren(el('div', {},
      el('div', { class: 'stats' },
        stat('Functions', fmt.int(functions.length)),
        stat('Invocations, last hour', fmt.int(all.n)),
        stat('Errors, last hour', fmt.int(all.errors), fmt.pct(all.errors, all.n)),
        stat('p99, last hour', fmt.ms(all.p99)),
        stat('Cost, last hour', fmt.usd(all.cost))),
      section('All functions',
        table('Functions', [
          { label: 'Name', cell: r => link('/ui/functions/' + encodeURIComponent(r.f.name), r.f.name) },
          { label: 'Runtime', cell: r => r.f.runtime_name || r.f.runtime },
          { label: 'State', cell: r => badge(r.st.label, r.st.kind) },
          { label: 'Memory', num: true, cell: r => r.f.memory_mb + ' MB' },
          { label: 'Invocations (1 h)', num: true, cell: r => fmt.int(r.s.n) },
          { label: 'Errors (1 h)', num: true, cell: r => el('span', { class: r.s.errors ? 'bad' : '' }, fmt.int(r.s.errors)) },
          { label: 'p99 (1 h)', num: true, cell: r => fmt.ms(r.s.p99) },
          { label: 'Cost (1 h)', num: true, cell: r => fmt.usd(r.s.cost) },
        ], rows, 'No functions yet: deploy one with `updraft deploy DIR`.')),
      recs.truncated ? el('p', { class: 'note' }, 'Figures cover the newest 10,000 invocations of the hour.') : null));
  };
  await load();
  ctx.every(10000, load);
}
