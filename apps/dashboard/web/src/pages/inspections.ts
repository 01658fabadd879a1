import { api, ApiError, type Me } from '../api.js';
import { ago, esc, toast } from '../dom.js';
import { live } from '../live.js';
import type { InspectionView } from '../types.js';

const CLASSES = ['ok', 'scratch', 'pit', 'crack', 'stain'];

function card(i: InspectionView, canAct: boolean): string {
  const cls = i.relabel?.label ?? i.label;
  const img = i.thumbnail ? `<img src="data:image/png;base64,${esc(i.thumbnail)}" alt="frame ${esc(i.frameId)}">` : '<div class="noimg">no preview</div>';
  const options = [...new Set([...CLASSES, i.label])].map((c) => `<option${c === cls ? ' selected' : ''}>${esc(c)}</option>`).join('');
  return `<div class="frame" data-device="${esc(i.deviceId)}" data-frame="${esc(i.frameId)}">${img}<div class="body">
    <div class="cls ${i.label === 'ok' ? 'ok' : 'defect'}"><span>${esc(i.label)}</span><span>${Math.round(i.confidence * 100)}%</span></div>
    <div class="conf"><i style="width:${Math.round(i.confidence * 100)}%"></i></div>
    <div><a href="#/device/${esc(i.deviceId)}">${esc(i.deviceId)}</a> · ${ago(i.ts)}</div>
    <div class="muted">${esc(i.model.name)} v${i.model.version} · ${esc(i.frameId)}</div>
    ${i.truth && i.truth !== i.label ? `<div class="mismatch">truth: ${esc(i.truth)}</div>` : i.truth ? `<div class="muted">truth: ${esc(i.truth)}</div>` : ''}
    ${i.relabel ? `<div>relabelled <b>${esc(i.relabel.label)}</b> by ${esc(i.relabel.by)}</div>` : ''}
    ${canAct ? `<div class="row"><select>${options}</select><button data-act="relabel">Relabel</button></div>` : ''}</div></div>`;
}

/** Recent camera frames with the vision model's verdict; engineers relabel for retraining. */
export function renderInspections(root: HTMLElement, me: Me): void {
  const canAct = me.role !== 'viewer';
  let items: InspectionView[] = [];
  root.innerHTML = `<div class="toolbar"><h1 style="margin:0">Inspections</h1><div class="grow"></div><span class="muted" id="summary"></span></div><div class="frames" id="frames"></div>`;
  const grid = root.querySelector('#frames') as HTMLElement;
  const render = () => {
    grid.innerHTML = items.map((i) => card(i, canAct)).join('') || '<div class="empty">No camera frames inspected yet.</div>';
    const defects = items.filter((i) => i.label !== 'ok').length;
    (root.querySelector('#summary') as HTMLElement).textContent = `${items.length} recent frames · ${defects} flagged`;
  };
  grid.addEventListener('click', (ev) => {
    const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-act]');
    const frame = btn?.closest<HTMLElement>('.frame');
    if (!btn || !frame) return;
    const label = (frame.querySelector('select') as HTMLSelectElement).value;
    btn.disabled = true;
    api
      .post<InspectionView>(`/api/inspections/${encodeURIComponent(frame.dataset['device'] ?? '')}/${encodeURIComponent(frame.dataset['frame'] ?? '')}/label`, { label })
      .then((updated) => {
        items = items.map((i) => (i.deviceId === updated.deviceId && i.frameId === updated.frameId ? updated : i));
        render();
        toast(`Relabelled ${label} — sent for retraining`);
      })
      .catch((err: unknown) => {
        btn.disabled = false;
        toast(err instanceof ApiError ? err.message : 'failed', true);
      });
  });
  live.open({ inspections: true });
  live.on<InspectionView>('inspection', (i) => {
    items = [i, ...items.filter((x) => !(x.deviceId === i.deviceId && x.frameId === i.frameId))].slice(0, 60);
    render();
  });
  void api.get<{ inspections: InspectionView[] }>('/api/inspections?limit=60').then((r) => {
    items = r.inspections;
    render();
  });
}
