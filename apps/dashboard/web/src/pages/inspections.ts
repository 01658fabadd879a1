import { api, ApiError, type Me } from '../api.js';
import { classColour, isHealthy } from '../classes.js';
import { ago, esc, toast } from '../dom.js';
import { live } from '../live.js';
import type { EvidenceRecord, InspectionView, LabelVocabulary } from '../types.js';

type Tab = 'frames' | 'evidence';
type EvidenceFilter = 'all' | 'unlabelled' | 'uncertain';

const blobUrl = (evidenceId: string) => `/api/evidence/${encodeURIComponent(evidenceId)}/blob`;
const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The frame's picture: the inspection's thumbnail, else the frame the edge kept as evidence, framed in the predicted class's colour. */
function picture(label: string, alt: string, thumbnail: string | undefined, evidenceId: string | undefined): string {
  const src = thumbnail ? `data:image/png;base64,${esc(thumbnail)}` : evidenceId ? blobUrl(evidenceId) : undefined;
  const img = src ? `<img src="${src}" alt="${esc(alt)}" loading="lazy">` : '<div class="noimg">no preview</div>';
  return `<div class="pic" style="border-color:${classColour(label)}" title="predicted ${esc(label)}">${img}<span class="tag" style="background:${classColour(label)}">${esc(label)}</span></div>`;
}

function options(vocabulary: string[], current: string): string {
  return [...new Set([...vocabulary])]
    .map((c) => `<option${c === current ? ' selected' : ''}>${esc(c)}</option>`)
    .join('');
}

function frameCard(i: InspectionView, evidenceId: string | undefined, vision: string[], canAct: boolean): string {
  const cls = i.relabel?.label ?? i.label;
  const classes = vision.length ? vision : [...new Set(['ok', i.label, ...(i.truth ? [i.truth] : [])])];
  return `<div class="frame" data-device="${esc(i.deviceId)}" data-frame="${esc(i.frameId)}">${picture(i.label, `frame ${i.frameId}`, i.thumbnail, evidenceId)}<div class="body">
    <div class="cls ${isHealthy(i.label) ? 'ok' : 'defect'}"><span>${esc(i.label)}</span><span>${pct(i.confidence)}</span></div>
    <div class="conf"><i style="width:${pct(i.confidence)}"></i></div>
    <div><a href="#/device/${esc(i.deviceId)}">${esc(i.deviceId)}</a> · ${ago(i.ts)}</div>
    <div class="muted">${esc(i.model.name)} v${i.model.version} · ${esc(i.frameId)}</div>
    ${i.truth ? `<div class="${i.truth !== i.label ? 'mismatch' : 'muted'}">simulator truth: ${esc(i.truth)}</div>` : ''}
    ${i.relabel ? `<div>relabelled <b>${esc(i.relabel.label)}</b> by ${esc(i.relabel.by)}</div>` : ''}
    ${canAct ? `<div class="row"><select>${options(classes, cls)}</select><button data-act="relabel">Relabel</button></div>` : ''}</div></div>`;
}

function evidenceCard(e: EvidenceRecord, vision: string[], canAct: boolean): string {
  // an uploaded image has no prediction: frame it in its label's colour instead
  const predicted = e.prediction?.label ?? e.label?.label ?? 'unlabelled';
  const current = e.label?.label ?? '';
  const select = vision.length
    ? `<select><option value=""${current ? '' : ' selected'} disabled>label…</option>${options(vision, current)}</select><button data-act="label">Label</button>`
    : '<span class="muted">no vision classes known yet</span>';
  return `<div class="frame evidence" data-evidence="${esc(e.evidenceId)}" data-device="${esc(e.deviceId)}" data-ts="${e.ts}">${picture(predicted, `evidence ${e.evidenceId}`, undefined, e.evidenceId)}<div class="body">
    ${e.prediction ? `<div class="cls ${isHealthy(predicted) ? 'ok' : 'defect'}"><span>${esc(predicted)}</span><span>${pct(e.prediction.confidence)}</span></div>` : '<div class="cls muted"><span>no prediction</span></div>'}
    ${e.prediction ? `<div class="conf"><i style="width:${pct(e.prediction.confidence)}"></i></div>` : ''}
    <div><span class="badge reason-${esc(e.reason)}">${esc(e.reason)}</span> <a href="#/device/${esc(e.deviceId)}">${esc(e.deviceId)}</a> · ${ago(e.ts)}</div>
    <div class="muted">${e.model ? `${esc(e.model.name)} v${e.model.version}` : 'no model'}${e.frame ? ` · ${e.frame.width}×${e.frame.height}` : ''}</div>
    ${e.truth ? `<div class="${e.truth !== predicted ? 'mismatch' : 'muted'}">simulator truth: ${esc(e.truth)}</div>` : ''}
    <div class="current">${e.label ? `label <b>${esc(e.label.label)}</b> <span class="muted">(${e.label.source === 'upload' ? 'uploaded' : `by ${esc(e.label.by)}`})</span>` : '<span class="muted">unlabelled</span>'}</div>
    ${canAct ? `<div class="row">${select}</div>` : ''}</div></div>`;
}

/**
 * Camera frames: the vision model's recent verdicts (relabel for retraining), and the Evidence view —
 * the frames the edge kept (unsure, sampled) and uploaded images, labelled from the vocabulary.
 */
export function renderInspections(root: HTMLElement, me: Me, arg: string): () => void {
  const canAct = me.role !== 'viewer';
  const tab: Tab = arg === 'evidence' ? 'evidence' : 'frames';
  let items: InspectionView[] = [];
  let evidence: EvidenceRecord[] = [];
  let evidenceNote = '';
  let vocabulary: LabelVocabulary = { vision: [], fault: [] };
  let filter: EvidenceFilter = 'all';
  /** evidence id of each kept frame, by device/frameId: the picture of an inspection that came without a thumbnail */
  const byFrame = new Map<string, string>();
  root.innerHTML = `<div class="toolbar"><h1 style="margin:0">Inspections</h1>
    <div class="chips tabs"><a class="chip${tab === 'frames' ? ' on' : ''}" href="#/inspections" data-tab="frames">Classified frames</a><a class="chip${tab === 'evidence' ? ' on' : ''}" href="#/inspections/evidence" data-tab="evidence">Evidence</a></div>
    ${tab === 'evidence' ? `<div class="chips" id="filters">${(['all', 'unlabelled', 'uncertain'] as EvidenceFilter[]).map((f) => `<span class="chip${f === filter ? ' on' : ''}" data-f="${f}">${f}</span>`).join('')}</div>` : ''}
    <div class="grow"></div><span class="muted" id="summary"></span>${tab === 'evidence' ? '<button id="refresh" title="also every 15 s while no label is being chosen">Refresh</button>' : ''}</div><div class="frames" id="frames"></div>`;
  root.dataset['tab'] = tab;
  delete root.dataset['loaded']; // set again once this view has its data (the element outlives the view)
  const grid = root.querySelector('#frames') as HTMLElement;
  const summary = root.querySelector('#summary') as HTMLElement;

  const renderFrames = () => {
    grid.innerHTML =
      items.map((i) => frameCard(i, byFrame.get(`${i.deviceId}/${i.frameId}`), vocabulary.vision, canAct)).join('') ||
      '<div class="empty">No camera frames inspected yet.</div>';
    summary.textContent = `${items.length} recent frames · ${items.filter((i) => !isHealthy(i.label)).length} flagged`;
  };
  const shown = () =>
    evidence.filter((e) =>
      filter === 'unlabelled' ? !e.label : filter === 'uncertain' ? e.reason === 'uncertain' : true,
    );
  const renderEvidence = () => {
    const list = shown();
    grid.innerHTML =
      list.map((e) => evidenceCard(e, vocabulary.vision, canAct)).join('') ||
      `<div class="empty">${esc(evidenceNote || 'No frames kept as evidence yet.')}</div>`;
    summary.textContent = `${list.length} of ${evidence.length} kept frames · ${evidence.filter((e) => !e.label).length} unlabelled`;
    root.dataset['count'] = String(list.length);
  };
  const render = () => (tab === 'frames' ? renderFrames() : renderEvidence());

  const loadEvidence = () =>
    api.get<{ items: EvidenceRecord[] }>('/api/evidence?kind=frame&limit=200').then(
      (r) => {
        evidence = r.items;
        evidenceNote = '';
        for (const e of r.items) if (e.frame) byFrame.set(`${e.deviceId}/${e.frame.frameId}`, e.evidenceId);
      },
      (err: unknown) => {
        evidenceNote = err instanceof ApiError ? err.message : 'evidence unavailable';
      },
    );

  for (const chip of root.querySelectorAll<HTMLElement>('#filters .chip')) {
    chip.addEventListener('click', () => {
      filter = chip.dataset['f'] as EvidenceFilter;
      for (const c of root.querySelectorAll('#filters .chip')) c.classList.toggle('on', c === chip);
      renderEvidence();
    });
  }

  grid.addEventListener('click', (ev) => {
    const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-act]');
    const card = btn?.closest<HTMLElement>('.frame');
    if (!btn || !card) return;
    const label = (card.querySelector('select') as HTMLSelectElement).value;
    if (!label) return toast('Choose a label first', true);
    btn.disabled = true;
    const fail = (err: unknown) => {
      btn.disabled = false;
      toast(err instanceof ApiError ? err.message : 'failed', true);
    };
    if (btn.dataset['act'] === 'label') {
      const body = { label, device: card.dataset['device'], ts: Number(card.dataset['ts']) };
      api
        .post<EvidenceRecord>(`/api/evidence/${encodeURIComponent(card.dataset['evidence'] ?? '')}/label`, body)
        .then((updated) => {
          evidence = evidence.map((e) => (e.evidenceId === updated.evidenceId ? updated : e));
          renderEvidence();
          toast(`Labelled ${label} — used by the next vision training`);
        }, fail);
      return;
    }
    api
      .post<InspectionView>(
        `/api/inspections/${encodeURIComponent(card.dataset['device'] ?? '')}/${encodeURIComponent(card.dataset['frame'] ?? '')}/label`,
        { label },
      )
      .then((updated) => {
        items = items.map((i) => (i.deviceId === updated.deviceId && i.frameId === updated.frameId ? updated : i));
        renderFrames();
        toast(`Relabelled ${label} — sent for retraining`);
      }, fail);
  });

  if (tab === 'frames') {
    live.open({ inspections: true });
    live.on<InspectionView>('inspection', (i) => {
      items = [i, ...items.filter((x) => !(x.deviceId === i.deviceId && x.frameId === i.frameId))].slice(0, 60);
      renderFrames();
    });
  } else live.open();
  const vocab = api.get<LabelVocabulary>('/api/labels').then(
    (v) => void (vocabulary = v),
    () => undefined, // no trainer: relabel offers the classes seen
  );
  const first =
    tab === 'frames'
      ? api
          .get<{ inspections: InspectionView[] }>('/api/inspections?limit=60')
          .then((r) => void (items = r.inspections))
      : Promise.resolve();
  void Promise.allSettled([vocab, first, loadEvidence()]).then(() => {
    render();
    root.dataset['loaded'] = '1';
  });
  if (tab === 'frames') return () => undefined;
  // new evidence keeps arriving: reload it, but never under a label the user is choosing
  const refresh = () => loadEvidence().then(renderEvidence);
  root.querySelector('#refresh')?.addEventListener('click', () => void refresh());
  const timer = window.setInterval(() => {
    if (!grid.contains(document.activeElement)) void refresh();
  }, 15_000);
  return () => window.clearInterval(timer);
}
