import { api, ApiError, type Me } from '../api.js';
import { esc, time, toast } from '../dom.js';
import type { DeviceView, Manifest, Rollout } from '../types.js';

function rolloutCard(r: Rollout, canAct: boolean): string {
  const applied = r.devices.filter((d) => d.status === 'applied').length;
  const actions =
    canAct && r.stage === 'canary'
      ? `<div class="actions"><button class="primary" data-act="promote">Promote to all</button><button class="danger" data-act="rollback">Roll back</button></div>`
      : '';
  return `<div class="panel" data-rollout="${esc(r.id)}"><div class="toolbar" style="margin-bottom:6px"><b>${esc(r.model)} v${r.version}</b>
    <span class="stage ${r.stage}">${esc(r.stage)}</span><span class="muted">${esc(r.id)} · started ${time(r.startedAt)} · updated ${time(r.updatedAt)}</span><div class="grow"></div>
    <span class="muted">${applied}/${r.devices.length} applied</span>${actions}</div>
    <div>${r.devices.map((d) => `<span class="dev-status ${esc(d.status)}" title="${esc(d.status)}"><span class="dot ${d.status === 'applied' ? 'online' : /reject|roll|fail/.test(d.status) ? 'offline' : 'degraded'}"></span>${esc(d.deviceId)}${r.canary.includes(d.deviceId) ? ' <b>canary</b>' : ''} · ${esc(d.status)}</span>`).join('')}</div></div>`;
}

/** Rollouts: start a canary, watch each device, promote or roll back (admins). */
export function renderRollouts(root: HTMLElement, me: Me): () => void {
  const canAct = me.role === 'admin';
  root.innerHTML = `<h1>Rollouts</h1>
    ${
      canAct
        ? `<div class="panel"><form class="form-row" id="start">
      <label>Model version<select name="model" required></select></label>
      <label>Devices (comma-separated)<input name="devices" size="42" required placeholder="press-01, press-02"></label>
      <label>Canary devices<input name="canary" size="22" required placeholder="press-01"></label>
      <button class="primary">Start canary</button></form></div>`
        : '<p class="muted">Only admins start, promote and roll back rollouts.</p>'
    }
    <div id="rollouts"><div class="muted">Loading…</div></div>`;
  const form = root.querySelector<HTMLFormElement>('#start');
  if (form) {
    void api.get<{ models: Manifest[] }>('/api/models').then(
      (r) => {
        (form.elements.namedItem('model') as HTMLSelectElement).innerHTML = r.models
          .map(
            (m) => `<option value="${esc(m.name)}@${m.version}">${esc(m.name)} v${m.version} (${esc(m.kind)})</option>`,
          )
          .join('');
      },
      () => undefined,
    );
    void api.get<{ devices: DeviceView[] }>('/api/overview').then((r) => {
      const ids = r.devices.map((d) => d.deviceId);
      const devices = form.elements.namedItem('devices') as HTMLInputElement;
      const canary = form.elements.namedItem('canary') as HTMLInputElement;
      if (!devices.value && ids.length) devices.value = ids.slice(0, 8).join(', ');
      if (!canary.value && ids[0]) canary.value = ids[0];
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const [model = '', version = '0'] = (form.elements.namedItem('model') as HTMLSelectElement).value.split('@');
      const list = (name: string) =>
        (form.elements.namedItem(name) as HTMLInputElement).value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      api
        .post<{ id: string }>('/api/rollouts', {
          model,
          version: Number(version),
          devices: list('devices'),
          canary: list('canary'),
        })
        .then(
          (r) => {
            toast(`Rollout ${r.id} started on the canary`);
            void load();
          },
          (err: unknown) => toast(err instanceof ApiError ? err.message : 'failed', true),
        );
    });
  }
  const holder = root.querySelector('#rollouts') as HTMLElement;
  holder.addEventListener('click', (ev) => {
    const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-act]');
    const card = btn?.closest<HTMLElement>('[data-rollout]');
    if (!btn || !card) return;
    const act = btn.dataset['act'] as string;
    if (act === 'rollback' && !confirm('Roll this model back on every device?')) return;
    btn.disabled = true;
    api.post(`/api/rollouts/${encodeURIComponent(card.dataset['rollout'] ?? '')}/${act}`).then(
      () => {
        toast(act === 'promote' ? 'Promoted to all devices' : 'Rolled back');
        void load();
      },
      (err: unknown) => {
        btn.disabled = false;
        toast(err instanceof ApiError ? err.message : 'failed', true);
      },
    );
  });
  const load = () =>
    api.get<{ rollouts: Rollout[] }>('/api/rollouts').then(
      (r) => {
        holder.innerHTML =
          r.rollouts.map((x) => rolloutCard(x, canAct)).join('') || '<div class="empty">No rollouts yet.</div>';
        root.dataset['count'] = String(r.rollouts.length);
      },
      (err: unknown) =>
        (holder.innerHTML = `<div class="empty">${esc(err instanceof ApiError ? err.message : 'trainer unavailable')}</div>`),
    );
  void load();
  const timer = window.setInterval(() => void load(), 2_000);
  return () => window.clearInterval(timer);
}
