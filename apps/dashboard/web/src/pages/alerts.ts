import { api, ApiError, type Me } from '../api.js';
import { duration, esc, num, time, toast } from '../dom.js';
import { live } from '../live.js';
import type { Alert } from '../types.js';

type Tab = 'open' | 'closed' | 'all';

function row(a: Alert, canAct: boolean): string {
  const len = (a.closedAt ?? Date.now()) - a.openedAt;
  const pct = Math.min(100, (a.peakScore / Math.max(a.threshold * 2, 1e-9)) * 100);
  const th = Math.min(100, 50);
  const label = a.label ? `<span class="pill ${a.label.label === 'true-alarm' ? 'open' : 'closed'}">${esc(a.label.label)}</span> <span class="muted">by ${esc(a.label.by)}</span>` : '';
  const ack = a.acknowledged ? `<div class="muted">✓ acknowledged by ${esc(a.acknowledged.by)} ${time(a.acknowledged.at)}</div>` : '';
  const actions = canAct
    ? `<div class="actions">${a.acknowledged ? '' : `<button class="primary" data-act="ack">Acknowledge</button>`}
       <button class="danger" data-act="true-alarm">True alarm</button><button class="good" data-act="false-alarm">False alarm</button>
       <button data-act="comment">Comment</button></div>`
    : '';
  return `<tr data-id="${esc(a.id)}" data-device="${esc(a.deviceId)}" data-event="${esc(a.eventId)}">
    <td><span class="pill ${a.state}">${a.state}</span></td>
    <td><a href="#/device/${esc(a.deviceId)}"><b>${esc(a.deviceId)}</b></a><div class="muted">${esc(a.site)} / ${esc(a.line)}</div></td>
    <td>${time(a.openedAt)}<div class="muted">${a.state === 'open' ? 'for ' : ''}${duration(len)}</div></td>
    <td>peak <b>${num(a.peakScore)}</b> / ${num(a.threshold)}<div class="scorebar"><i style="width:${pct}%"></i><b style="left:${th}%"></b></div></td>
    <td>${esc(a.model.name)} v${a.model.version}${a.faultClass ? `<div class="muted">${esc(a.faultClass)}</div>` : ''}</td>
    <td>${ack}${label}${a.comments.length ? `<div class="comments">${a.comments.map((c) => `<div>💬 <b>${esc(c.by)}</b>: ${esc(c.text)}</div>`).join('')}</div>` : ''}${actions}</td></tr>`;
}

/** Open and closed anomaly events: acknowledge, comment, label true/false alarm (engineers). */
export function renderAlerts(root: HTMLElement, me: Me): void {
  let tab: Tab = 'open';
  const canAct = me.role !== 'viewer';
  root.innerHTML = `<div class="toolbar"><h1 style="margin:0">Alerts</h1><div class="chips">${(['open', 'closed', 'all'] as Tab[]).map((t) => `<span class="chip${t === tab ? ' on' : ''}" data-t="${t}">${t}</span>`).join('')}</div><div class="grow"></div>
    ${canAct ? '' : '<span class="muted">Read-only: viewers cannot acknowledge or label.</span>'}</div>
    <div class="panel" style="padding:0"><table class="grid"><thead><tr><th>State</th><th>Device</th><th>Opened</th><th>Score</th><th>Model</th><th>Handling</th></tr></thead><tbody id="alerts"></tbody></table></div>`;
  const body = root.querySelector('#alerts') as HTMLElement;
  const load = () =>
    api.get<{ alerts: Alert[] }>(`/api/alerts${tab === 'all' ? '' : `?state=${tab}`}`).then((r) => {
      body.innerHTML = r.alerts.map((a) => row(a, canAct)).join('') || `<tr><td colspan="6"><div class="empty">No ${tab === 'all' ? '' : tab} anomaly events.</div></td></tr>`;
      root.dataset['count'] = String(r.alerts.length);
    });
  for (const chip of root.querySelectorAll<HTMLElement>('.chip')) {
    chip.addEventListener('click', () => {
      tab = chip.dataset['t'] as Tab;
      for (const c of root.querySelectorAll('.chip')) c.classList.toggle('on', c === chip);
      void load();
    });
  }
  body.addEventListener('click', (ev) => {
    const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-act]');
    const tr = btn?.closest<HTMLElement>('tr');
    if (!btn || !tr) return;
    const base = `/api/alerts/${encodeURIComponent(tr.dataset['device'] ?? '')}/${encodeURIComponent(tr.dataset['event'] ?? '')}`;
    const act = btn.dataset['act'];
    let call: Promise<unknown>;
    if (act === 'ack') call = api.post(`${base}/ack`);
    else if (act === 'comment') {
      const text = prompt('Comment on this alert');
      if (!text) return;
      call = api.post(`${base}/comments`, { text });
    } else call = api.post(`${base}/label`, { label: act });
    btn.disabled = true;
    call
      .then(() => {
        toast(act === 'ack' ? 'Alert acknowledged' : act === 'comment' ? 'Comment added' : `Labelled ${act} — sent for retraining`);
        return load();
      })
      .catch((err: unknown) => {
        btn.disabled = false;
        toast(err instanceof ApiError ? err.message : 'failed', true);
      });
  });
  live.open();
  let t: number | undefined;
  live.on('alert', () => {
    window.clearTimeout(t);
    t = window.setTimeout(() => void load(), 300);
  });
  void load();
}
