import { api, setSession, type Me } from './api.js';
import { esc } from './dom.js';
import { live } from './live.js';
import { renderLogin } from './pages/login.js';
import { renderOverview } from './pages/overview.js';
import { renderDevice } from './pages/device.js';
import { renderAlerts } from './pages/alerts.js';
import { renderInspections } from './pages/inspections.js';
import { renderModels } from './pages/models.js';
import { renderRollouts } from './pages/rollouts.js';

/** A page draws into `root` and returns what to undo when the user leaves it. */
export type Page = (root: HTMLElement, me: Me, arg: string) => (() => void) | void;

const ROUTES: { path: string; title: string; page: Page; nav: boolean }[] = [
  { path: '', title: 'Plant', page: renderOverview, nav: true },
  { path: 'device', title: 'Device', page: renderDevice, nav: false },
  { path: 'alerts', title: 'Alerts', page: renderAlerts, nav: true },
  { path: 'inspections', title: 'Inspections', page: renderInspections, nav: true },
  { path: 'models', title: 'Models', page: renderModels, nav: true },
  { path: 'rollouts', title: 'Rollouts', page: renderRollouts, nav: true },
];

const app = document.getElementById('app') as HTMLElement;
let leave: (() => void) | void;

function shell(me: Me): HTMLElement {
  app.innerHTML = `
    <header class="topbar">
      <div class="brand"><img src="/assets/favicon.svg" alt="">Takt</div>
      <nav>${ROUTES.filter((r) => r.nav)
        .map((r) => `<a href="#/${r.path}" data-path="${r.path}">${r.title}</a>`)
        .join('')}</nav>
      <div class="spacer"></div>
      <span class="live" id="live">live</span>
      <div class="who"><span>${esc(me.username)}</span><span class="badge role">${esc(me.role)}</span><button id="logout">Sign out</button></div>
    </header>
    <main id="page"></main>`;
  live.onState((on) => document.getElementById('live')?.classList.toggle('on', on));
  document.getElementById('logout')?.addEventListener('click', () => {
    void api.post('/api/logout').finally(() => signedOut());
  });
  return document.getElementById('page') as HTMLElement;
}

/**
 * Shows the page the location names in a fresh `<main id="page">`. The page left behind keeps its
 * own (now detached) element: a request of that page that answers late writes into it, out of
 * sight, instead of looking up its elements in the new page and failing.
 */
function route(me: Me, previous: HTMLElement): HTMLElement {
  const [path = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const r = ROUTES.find((x) => x.path === path) ?? ROUTES[0];
  if (!r) return previous;
  leave?.();
  live.release(); // no page keeps handlers that write into a page that is gone
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.topbar nav a'))
    a.classList.toggle('active', a.dataset['path'] === (path === 'device' ? '' : r.path));
  document.title = `${r.title} — Takt`;
  const root = document.createElement('main');
  root.id = 'page';
  root.dataset['page'] = r.path || 'overview';
  previous.replaceWith(root);
  leave = r.page(root, me, decodeURIComponent(rest.join('/')));
  return root;
}

function signedIn(me: Me): void {
  setSession(me, signedOut);
  let root = shell(me);
  window.onhashchange = () => (root = route(me, root));
  root = route(me, root);
}

function signedOut(): void {
  leave?.();
  leave = undefined;
  live.close();
  setSession(undefined);
  window.onhashchange = null;
  renderLogin(app, signedIn);
}

api
  .get<Me>('/api/session')
  .then(signedIn)
  .catch(() => signedOut());
