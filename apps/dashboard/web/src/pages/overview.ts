import { api, type Me } from '../api.js';
import { $, ago, esc } from '../dom.js';
import { live } from '../live.js';
import type { DeviceView } from '../types.js';

type Filter = 'all' | 'alarm' | 'online' | 'degraded' | 'offline';

function tile(d: DeviceView, now: number): string {
  const model = d.models[0];
  const cls = d.openAnomalies > 0 ? `${d.status} alarm` : d.status;
  return `<a class="tile ${cls}" href="#/device/${esc(d.deviceId)}" data-id="${esc(d.deviceId)}" title="${esc(d.deviceId)} — ${esc(d.status)}">
    <div class="name"><span class="dot ${d.status}"></span>${esc(d.deviceId)}${d.openAnomalies ? `<span class="an">${d.openAnomalies}</span>` : ''}</div>
    <div class="meta"><span>${model ? `${esc(model.name)} v${model.version}` : 'no model'}</span><span>${esc(d.provider ?? model?.provider ?? '—')}</span></div>
    <div class="meta"><span>${ago(d.lastSeen, now)}</span><span>outbox ${d.outboxDepth}</span></div></a>`;
}

function matches(d: DeviceView, filter: Filter, text: string): boolean {
  if (text && !`${d.deviceId} ${d.site} ${d.line} ${d.models.map((m) => m.name).join(' ')}`.includes(text))
    return false;
  if (filter === 'alarm') return d.openAnomalies > 0;
  return filter === 'all' || d.status === filter;
}

function tree(devices: DeviceView[], now: number): string {
  const sites = new Map<string, Map<string, DeviceView[]>>();
  for (const d of devices) {
    const lines = sites.get(d.site) ?? new Map<string, DeviceView[]>();
    sites.set(d.site, lines);
    lines.set(d.line, [...(lines.get(d.line) ?? []), d]);
  }
  let html = '';
  for (const [site, lines] of sites) {
    html += `<section class="site"><h2>Site ${esc(site)}</h2>`;
    for (const [line, ds] of lines) {
      const online = ds.filter((d) => d.status === 'online').length;
      const alarms = ds.reduce((n, d) => n + d.openAnomalies, 0);
      html += `<div class="line"><h3>Line ${esc(line)} <span class="muted">${online}/${ds.length} online</span>${alarms ? `<span class="pill open">${alarms} open anomal${alarms === 1 ? 'y' : 'ies'}</span>` : ''}</h3><div class="tiles">${ds.map((d) => tile(d, now)).join('')}</div></div>`;
    }
    html += '</section>';
  }
  return (
    html ||
    '<div class="empty">No devices have reported yet. Devices appear here as soon as their state or heartbeat arrives.</div>'
  );
}

function kpis(devices: DeviceView[]): string {
  const count = (s: string) => devices.filter((d) => d.status === s).length;
  const open = devices.reduce((n, d) => n + d.openAnomalies, 0);
  const k = (cls: string, v: number, label: string) =>
    `<div class="kpi ${cls}"><div class="v">${v}</div><div class="k">${label}</div></div>`;
  return (
    k('', devices.length, 'devices') +
    k('ok', count('online'), 'online') +
    k('warn', count('degraded'), 'degraded') +
    k('off', count('offline'), 'offline') +
    k('bad', open, 'open anomalies')
  );
}

/** Plant overview: sites → lines → device tiles, kept current by the live stream. */
export function renderOverview(root: HTMLElement, _me: Me): () => void {
  const devices = new Map<string, DeviceView>();
  let filter: Filter = 'all';
  let text = '';
  let first = true;
  root.innerHTML = `<div class="toolbar"><h1 style="margin:0">Plant overview</h1><div class="grow"></div>
    <input id="search" placeholder="Filter devices, lines, models…" size="28">
    <div class="chips">${(['all', 'alarm', 'online', 'degraded', 'offline'] as Filter[]).map((f) => `<span class="chip${f === 'all' ? ' on' : ''}" data-f="${f}">${f}</span>`).join('')}</div></div>
    <div class="kpis" id="kpis"></div><div id="tree"><div class="muted">Loading devices…</div></div>`;
  const render = () => {
    const all = [...devices.values()];
    const now = Date.now();
    $('#kpis', root).innerHTML = kpis(all);
    const shown = all.filter((d) => matches(d, filter, text));
    $('#tree', root).innerHTML = tree(shown, now);
    root.dataset['count'] = String(shown.length);
    if (first && all.length) {
      first = false;
      performance.mark('overview-rendered');
    }
  };
  let pending: number | undefined;
  const schedule = () => {
    pending ??= window.setTimeout(() => {
      pending = undefined;
      render();
    }, 500);
  };
  $('#search', root).addEventListener('input', (ev) => {
    text = (ev.target as HTMLInputElement).value.trim().toLowerCase();
    render();
  });
  for (const chip of root.querySelectorAll<HTMLElement>('.chip')) {
    chip.addEventListener('click', () => {
      filter = chip.dataset['f'] as Filter;
      for (const c of root.querySelectorAll('.chip')) c.classList.toggle('on', c === chip);
      render();
    });
  }
  live.open();
  const offDevices = live.on<DeviceView[]>('devices', (list) => {
    for (const d of list) devices.set(d.deviceId, d);
    schedule();
  });
  let reload: number | undefined;
  const offAlert = live.on('alert', () => {
    window.clearTimeout(reload);
    reload = window.setTimeout(() => void load(), 1_000);
  });
  let left = false;
  const load = () =>
    api.get<{ devices: DeviceView[] }>('/api/overview').then((r) => {
      if (left) return; // answered after the user left the page
      devices.clear();
      for (const d of r.devices) devices.set(d.deviceId, d);
      render();
    });
  void load();
  const timer = window.setInterval(schedule, 5_000);
  return () => {
    left = true;
    offDevices();
    offAlert();
    window.clearInterval(timer);
    window.clearTimeout(reload);
    window.clearTimeout(pending);
  };
}
