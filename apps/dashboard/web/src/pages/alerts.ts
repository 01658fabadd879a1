import { api, ApiError, type Me } from '../api.js';
import { classColour, windowChart } from '../classes.js';
import { duration, esc, num, time, toast } from '../dom.js';
import { live } from '../live.js';
import type { Alert, EvidenceRecord, LabelVocabulary, WindowBlob } from '../types.js';

type Tab = 'open' | 'closed' | 'all';

function row(a: Alert, canAct: boolean, faults: string[], windows: EvidenceRecord[]): string {
  const len = (a.closedAt ?? Date.now()) - a.openedAt;
  const pct = Math.min(100, (a.peakScore / Math.max(a.threshold * 2, 1e-9)) * 100);
  const th = Math.min(100, 50);
  const verdict = a.label?.label;
  const label = a.label
    ? verdict === 'true-alarm' || verdict === 'false-alarm'
      ? `<span class="pill ${verdict === 'true-alarm' ? 'open' : 'closed'}">${esc(verdict)}</span> <span class="muted">by ${esc(a.label.by)}</span>`
      : `<span class="pill fault" style="border-color:${classColour(verdict ?? '')}">fault: ${esc(verdict)}</span> <span class="muted">by ${esc(a.label.by)}</span>`
    : '';
  const faultPick = faults.length
    ? `<select data-fault aria-label="fault class"><option value="" selected disabled>fault class…</option>${faults.map((f) => `<option>${esc(f)}</option>`).join('')}</select><button data-act="fault">Label fault</button>`
    : '';
  const evidence = windows.length
    ? `<div class="muted">${windows.length} raw window${windows.length > 1 ? 's' : ''} kept · <button data-act="window" data-evidence="${windows
        .slice(0, 3)
        .map((w) => esc(w.evidenceId))
        .join(',')}" data-onset="${windows[0]?.window?.onset ?? a.openedAt}">Show window</button>
       ${windows
         .slice(0, 3)
         .map(
           (w, i) =>
             `<a href="/api/evidence/${encodeURIComponent(w.evidenceId)}/blob" target="_blank" rel="noopener">JSON ${i + 1}</a>`,
         )
         .join(' ')}</div><div class="window-view" hidden></div>`
    : '';
  const ack = a.acknowledged
    ? `<div class="muted">✓ acknowledged by ${esc(a.acknowledged.by)} ${time(a.acknowledged.at)}</div>`
    : '';
  const actions = canAct
    ? `<div class="actions">${a.acknowledged ? '' : `<button class="primary" data-act="ack">Acknowledge</button>`}
       <button class="danger" data-act="true-alarm">True alarm</button><button class="good" data-act="false-alarm">False alarm</button>
       ${faultPick}<button data-act="comment">Comment</button></div>`
    : '';
  return `<tr data-id="${esc(a.id)}" data-opened="${a.openedAt}" data-device="${esc(a.deviceId)}" data-event="${esc(a.eventId)}">
    <td><span class="pill ${a.state}">${a.state}</span></td>
    <td><a href="#/device/${esc(a.deviceId)}"><b>${esc(a.deviceId)}</b></a><div class="muted">${esc(a.site)} / ${esc(a.line)}</div></td>
    <td>${time(a.openedAt)}<div class="muted">${a.state === 'open' ? 'for ' : ''}${duration(len)}</div></td>
    <td>peak <b>${num(a.peakScore)}</b> / ${num(a.threshold)}<div class="scorebar"><i style="width:${pct}%"></i><b style="left:${th}%"></b></div></td>
    <td>${esc(a.model.name)} v${a.model.version}${a.faultClass ? `<div class="muted">${esc(a.faultClass)}</div>` : ''}</td>
    <td>${ack}${label}${evidence}${a.comments.length ? `<div class="comments">${a.comments.map((c) => `<div>💬 <b>${esc(c.by)}</b>: ${esc(c.text)}</div>`).join('')}</div>` : ''}${actions}</td></tr>`;
}

/** Window evidence by `device/eventId`: the raw windows the edge kept around each event's onset. */
async function windowsByEvent(alerts: Alert[]): Promise<Map<string, EvidenceRecord[]>> {
  const out = new Map<string, EvidenceRecord[]>();
  if (!alerts.length) return out;
  const from = Math.min(...alerts.map((a) => a.openedAt)) - 600_000;
  const to = Date.now();
  if (to - from > 30 * 86_400_000) return out;
  const r = await api
    .get<{ items: EvidenceRecord[] }>(`/api/evidence?kind=window&from=${from}&to=${to}&limit=1000`)
    .catch(() => ({ items: [] as EvidenceRecord[] }));
  for (const e of r.items) {
    if (!e.window?.eventId) continue;
    const key = `${e.deviceId}/${e.window.eventId}`;
    out.set(key, [...(out.get(key) ?? []), e]);
  }
  return out;
}

/** Open and closed anomaly events: acknowledge, comment, label true/false alarm or a fault class (engineers), the event's raw windows. */
export function renderAlerts(root: HTMLElement, me: Me): void {
  let tab: Tab = 'open';
  let faults: string[] = [];
  /** windows the user opened, by alert id: a reload of the table (live alerts) keeps them open */
  const shownWindows = new Map<string, string>();
  const canAct = me.role !== 'viewer';
  root.innerHTML = `<div class="toolbar"><h1 style="margin:0">Alerts</h1><div class="chips">${(['open', 'closed', 'all'] as Tab[]).map((t) => `<span class="chip${t === tab ? ' on' : ''}" data-t="${t}">${t}</span>`).join('')}</div><div class="grow"></div>
    ${canAct ? '' : '<span class="muted">Read-only: viewers cannot acknowledge or label.</span>'}</div>
    <div class="panel" style="padding:0"><table class="grid"><thead><tr><th>State</th><th>Device</th><th>Opened</th><th>Score</th><th>Model</th><th>Handling</th></tr></thead><tbody id="alerts"></tbody></table></div>`;
  const body = root.querySelector('#alerts') as HTMLElement;
  const restoreWindows = () => {
    for (const [id, html] of shownWindows) {
      const tr = [...body.querySelectorAll<HTMLElement>('tr[data-id]')].find((x) => x.dataset['id'] === id);
      const view = tr?.querySelector<HTMLElement>('.window-view');
      if (!tr || !view) continue; // not on this tab
      view.innerHTML = html;
      view.hidden = false;
      const b = tr.querySelector('button[data-act="window"]');
      if (b) b.textContent = 'Hide window';
    }
  };
  const load = () =>
    api.get<{ alerts: Alert[] }>(`/api/alerts${tab === 'all' ? '' : `?state=${tab}`}`).then(async (r) => {
      const windows = await windowsByEvent(r.alerts);
      // live alerts redraw the table: a fault class being chosen survives it
      const chosen = new Map(
        [...body.querySelectorAll<HTMLElement>('tr[data-id]')].map((tr) => [
          tr.dataset['id'] ?? '',
          tr.querySelector<HTMLSelectElement>('select[data-fault]')?.value ?? '',
        ]),
      );
      body.innerHTML =
        r.alerts.map((a) => row(a, canAct, faults, windows.get(`${a.deviceId}/${a.eventId}`) ?? [])).join('') ||
        `<tr><td colspan="6"><div class="empty">No ${tab === 'all' ? '' : tab} anomaly events.</div></td></tr>`;
      restoreWindows();
      for (const tr of body.querySelectorAll<HTMLElement>('tr[data-id]')) {
        const select = tr.querySelector<HTMLSelectElement>('select[data-fault]');
        const value = chosen.get(tr.dataset['id'] ?? '');
        if (select && value) select.value = value;
      }
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
    if (act === 'window') return void showWindow(btn, tr);
    let call: Promise<unknown>;
    let label = act;
    if (act === 'fault') {
      label = (tr.querySelector('select[data-fault]') as HTMLSelectElement | null)?.value ?? '';
      if (!label) return toast('Choose a fault class first', true);
    }
    if (act === 'ack') call = api.post(`${base}/ack`);
    else if (act === 'comment') {
      const text = prompt('Comment on this alert');
      if (!text) return;
      call = api.post(`${base}/comments`, { text });
    } else call = api.post(`${base}/label`, { label });
    btn.disabled = true;
    call
      .then(() => {
        toast(
          act === 'ack'
            ? 'Alert acknowledged'
            : act === 'comment'
              ? 'Comment added'
              : `Labelled ${label} — sent for retraining`,
        );
        return load();
      })
      .catch((err: unknown) => {
        btn.disabled = false;
        toast(err instanceof ApiError ? err.message : 'failed', true);
      });
  });
  const showWindow = (btn: HTMLButtonElement, tr: HTMLElement) => {
    const view = tr.querySelector<HTMLElement>('.window-view');
    if (!view) return;
    if (!view.hidden) {
      view.hidden = true;
      shownWindows.delete(tr.dataset['id'] ?? '');
      btn.textContent = 'Show window';
      return;
    }
    btn.disabled = true;
    const ids = (btn.dataset['evidence'] ?? '').split(',').filter(Boolean);
    Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`/api/evidence/${encodeURIComponent(id)}/blob`, { credentials: 'same-origin' });
        if (!res.ok) throw new Error(`window ${id} unavailable (${res.status})`);
        return (await res.json()) as WindowBlob;
      }),
    )
      .then((blobs) => {
        // the table may have been redrawn meanwhile (live alerts): draw into whatever row shows this alert now
        shownWindows.set(
          tr.dataset['id'] ?? '',
          blobs.map((w) => windowChart(w, Number(btn.dataset['onset']))).join(''),
        );
        restoreWindows();
      })
      .catch((err: unknown) => toast((err as Error).message, true))
      .finally(() => (btn.disabled = false));
  };
  live.open();
  let t: number | undefined;
  live.on('alert', () => {
    window.clearTimeout(t);
    t = window.setTimeout(() => void load(), 300);
  });
  void api
    .get<LabelVocabulary>('/api/labels')
    .then(
      (v) => void (faults = v.fault),
      () => undefined,
    ) // no trainer: true/false alarm only
    .finally(() => void load());
}
