// The dashboard's shell: sign-in, navigation and routing by path under
// /ui/. Each section is one entry of SECTIONS; a section with a probe is
// shown only when the server answers it, so a new resource (buckets,
// schedules, …) is one more entry here once its API exists.

import { call, session, hooks, exists, sqs, sns, dynamodb } from './api.js';
import { el } from './util.js';
import { functionsView } from './functions.js';
import { functionView } from './function.js';
import { usageView, queuesView, topicsView, tablesView, listView } from './resources.js';

const SECTIONS = [
  { id: 'functions', label: 'Functions', view: functionsView },
  { id: 'usage', label: 'Usage & cost', view: usageView },
  { id: 'queues', label: 'Queues', view: queuesView, probe: () => sqs('ListQueues') },
  { id: 'topics', label: 'Topics', view: topicsView, probe: () => sns('ListTopics') },
  { id: 'tables', label: 'Tables', view: tablesView, probe: () => dynamodb('ListTables') },
  { id: 'buckets', label: 'Buckets', path: '/v1/buckets' },
  { id: 'routes', label: 'Routes', path: '/v1/routes' },
  { id: 'schedules', label: 'Schedules', path: '/v1/schedules' },
  { id: 'mail', label: 'Mail routes', path: '/v1/mail/routes' },
];

let available = null; // the sections the server offers, once probed
let current = null;   // the view on screen: its timers and whether it is still shown

async function probe() {
  const ok = await Promise.all(SECTIONS.map(s => {
    if (s.path) return exists(s.path);
    if (!s.probe) return true;
    return s.probe().then(() => true, () => false);
  }));
  available = SECTIONS.filter((_, i) => ok[i]);
}

function renderNav(active) {
  const nav = document.getElementById('nav');
  const account = document.getElementById('account');
  if (!session.key) {
    nav.replaceChildren();
    account.replaceChildren();
    return;
  }
  nav.replaceChildren(el('ul', {}, (available || SECTIONS.slice(0, 2)).map(s =>
    el('li', {}, el('a', { href: '/ui/' + s.id, 'data-nav': true, 'aria-current': s.id === active ? 'page' : null }, s.label)))));
  account.replaceChildren(el('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
}

function signOut() {
  session.clear();
  available = null;
  go('/ui/');
}

function signIn(main, message) {
  const input = el('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const err = el('p', { class: 'error', role: 'alert' }, message || '');
  const form = el('form', {
    class: 'signin card',
    async onsubmit(e) {
      e.preventDefault();
      const key = input.value.trim();
      try {
        await call('/v1/functions', { key });
      } catch (x) {
        err.textContent = 'Sign-in failed: ' + x.message;
        return;
      }
      session.set(key);
      go(location.pathname === '/ui/' || location.pathname === '/ui' ? '/ui/functions' : location.pathname);
    },
  },
  el('h1', {}, 'Sign in'),
  el('p', {}, 'Use an Updraft API key. The admin key is in ', el('code', {}, '<data-dir>/admin.key'),
    '; ', el('code', {}, 'updraft keys create'), ' makes more. The key stays in this browser tab only.'),
  el('label', { for: 'api-key' }, 'API key'), input,
  el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Sign in')),
  err);
  main.replaceChildren(form);
  input.focus();
}

function newContext() {
  const timers = [];
  const ctx = {
    live: true,
    // every runs f every ms while the view is shown and the tab visible.
    every(ms, f) {
      timers.push(setInterval(() => {
        if (ctx.live && !document.hidden) f().catch(showError);
      }, ms));
    },
    stop() { ctx.live = false; timers.forEach(clearInterval); },
  };
  return ctx;
}

function showError(e) {
  const main = document.getElementById('main');
  let box = main.querySelector('.banner');
  if (!box) { box = el('p', { class: 'banner error', role: 'alert' }); main.prepend(box); }
  box.textContent = e.message;
}

async function render() {
  if (current) current.stop();
  const main = document.getElementById('main');
  const parts = location.pathname.replace(/^\/ui\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (!session.key) {
    renderNav();
    signIn(main);
    return;
  }
  if (!parts.length) { go('/ui/functions', true); return; }
  const ctx = current = newContext();
  main.replaceChildren(el('p', { class: 'loading' }, 'Loading…'));
  if (!available) await probe();
  if (!ctx.live) return;
  renderNav(parts[0]);
  const s = available.find(x => x.id === parts[0]);
  const view = parts[0] === 'functions' && parts[1]
    ? m => functionView(m, ctx, parts[1])
    : s ? m => (s.view || listView(s.label, s.path))(m, ctx) : null;
  const page = el('div', { class: 'page' });
  try {
    if (!view) {
      page.append(el('h1', {}, 'Not found'), el('p', {}, 'There is no such page. ', el('a', { href: '/ui/functions', 'data-nav': true }, 'Go to the functions.')));
    } else {
      await view(page);
    }
  } catch (e) {
    if (!session.key) return; // signed out by a refused key
    page.append(el('p', { class: 'error', role: 'alert' }, e.message));
  }
  if (!ctx.live) return;
  main.replaceChildren(page);
  document.title = (page.querySelector('h1')?.textContent || 'Dashboard') + ' · Updraft';
}

function go(path, replace) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

hooks.onUnauthorized = msg => {
  if (!session.key) return;
  session.clear();
  available = null;
  if (current) current.stop();
  renderNav();
  signIn(document.getElementById('main'), 'Your key was refused: ' + msg);
};

document.addEventListener('click', e => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', render);
render();
