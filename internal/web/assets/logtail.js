// The live log tail of a function: polls GET /v1/functions/{name}/logs
// for lines newer than the last it showed.

import { call, fnPath } from './api.js';
import { el, fmt } from './util.js';

const MAX_LINES = 1000;

export function logTail(ctx, name) {
  const list = el('ol', { class: 'logs', role: 'log', 'aria-label': 'Log lines of ' + name });
  const status = el('span', { class: 'muted' }, 'Following');
  const seen = new Set();
  let since = '15m', paused = false;
  const pause = el('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    status.textContent = paused ? 'Paused' : 'Following';
  });
  const clear = el('button', { type: 'button' }, 'Clear');
  clear.addEventListener('click', () => list.replaceChildren());

  const poll = async () => {
    if (paused) return;
    const lines = await call(fnPath(name, '/logs?since=' + encodeURIComponent(since)));
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    for (const l of lines) {
      const key = l.time + '\u0000' + l.request_id + '\u0000' + l.message;
      if (seen.has(key)) continue;
      seen.add(key);
      since = l.time;
      const kind = /^(START|END|REPORT) RequestId/.test(l.message) ? 'meta' : /Error|Task timed out/.test(l.message) ? 'err' : '';
      list.append(el('li', { class: kind, 'data-request-id': l.request_id || null },
        el('time', { datetime: l.time }, fmt.time(l.time)), ' ', el('span', { class: 'msg' }, l.message)));
    }
    while (list.childElementCount > MAX_LINES) list.firstElementChild.remove();
    if (seen.size > 4 * MAX_LINES) { // forget the oldest keys; since is past them
      let n = seen.size - 2 * MAX_LINES;
      for (const k of seen) { if (n-- <= 0) break; seen.delete(k); }
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
  };
  poll().catch(err => { status.textContent = err.message; });
  ctx.every(2000, poll);
  return el('div', {}, el('div', { class: 'toolbar' }, status, el('span', { class: 'spacer' }), pause, clear), list);
}
