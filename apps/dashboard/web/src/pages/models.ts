import { api, ApiError, type Me } from '../api.js';
import { esc, num, time, toast } from '../dom.js';
import type { Job, Manifest } from '../types.js';

function metrics(m: Record<string, number> | undefined): string {
  return `<div class="metrics">${Object.entries(m ?? {}).map(([k, v]) => `<span class="metric">${esc(k)} ${num(v)}</span>`).join('')}</div>`;
}

function modelRow(m: Manifest): string {
  return `<tr><td><b>${esc(m.name)}</b></td><td>v${m.version}</td><td>${esc(m.kind)}</td><td>${time(m.createdAt)}</td>
    <td>${metrics(m.metrics)}</td><td>${m.threshold !== undefined ? num(m.threshold) : '—'}</td>
    <td>${m.quantization ? `int8 (${esc(m.quantization.activations)})` : 'fp32'}${m.variants ? ` + ${Object.keys(m.variants).map(esc).join(', ')}` : ''}</td>
    <td>${m.signature ? `✓ ${esc(m.signature.keyId)}` : '<span class="error">unsigned</span>'}</td><td>${m.training.samples}</td></tr>`;
}

function jobRow(j: Job): string {
  const pct = Math.round(j.progress * 100);
  return `<tr><td>${esc(j.id)}</td><td>${esc(j.kind)}</td><td>${esc(j.model)}${j.version ? ` → v${j.version}` : ''}</td>
    <td><b>${esc(j.status)}</b><div class="progress ${j.status}"><i style="width:${pct}%"></i></div><div class="muted">${pct}% ${esc(j.message)}</div></td>
    <td>${time(j.startedAt)}</td><td>${j.finishedAt ? time(j.finishedAt) : '—'}</td><td>${metrics(j.metrics)}</td></tr>`;
}

/** A retrained model waiting for an admin before it rolls out. */
interface Approval {
  model: string;
  version: number;
  canary: string[];
  devices: string[];
  requestedAt: number;
}

function approvalRow(a: Approval, canDecide: boolean): string {
  const buttons = canDecide
    ? `<button class="primary" data-decide="approve" data-model="${esc(a.model)}" data-version="${a.version}">Approve rollout</button> <button data-decide="reject" data-model="${esc(a.model)}" data-version="${a.version}">Reject</button>`
    : '<span class="muted">an admin approves it</span>';
  return `<div class="panel toolbar"><b>${esc(a.model)} v${a.version}</b> awaits approval to roll out to ${a.devices.length} device(s), canary ${a.canary.map(esc).join(', ')} (trained ${time(a.requestedAt)})<div class="grow"></div>${buttons}</div>`;
}

const unavailable = (err: unknown) => `<div class="empty">${esc(err instanceof ApiError ? err.message : 'trainer unavailable')}</div>`;

/** Registry versions with their metrics, and training jobs with progress. */
export function renderModels(root: HTMLElement, me: Me): () => void {
  const canTrain = me.role !== 'viewer';
  root.innerHTML = `<h1>Models</h1><div id="approvals"></div><div class="panel" style="padding:0" id="models"><div class="muted" style="padding:12px">Loading…</div></div>
    <div class="toolbar"><h2 style="margin:6px 0">Training jobs</h2><div class="grow"></div>
    ${canTrain ? `<form class="form-row" id="train"><label>Model name<input name="model" value="plant-anomaly" required pattern="[a-z0-9][a-z0-9-]{0,62}"></label><button class="primary">Train K-means</button></form>` : ''}</div>
    <div class="panel" style="padding:0" id="jobs"></div>`;
  const loadModels = () =>
    api.get<{ models: Manifest[] }>('/api/models').then(
      (r) => {
        (root.querySelector('#models') as HTMLElement).innerHTML = r.models.length
          ? `<table class="grid"><thead><tr><th>Model</th><th>Version</th><th>Kind</th><th>Created</th><th>Metrics</th><th>Threshold</th><th>Encoding</th><th>Signed</th><th>Samples</th></tr></thead><tbody>${r.models.map(modelRow).join('')}</tbody></table>`
          : '<div class="empty">No models registered yet.</div>';
      },
      (err: unknown) => ((root.querySelector('#models') as HTMLElement).innerHTML = unavailable(err)),
    );
  const loadJobs = () =>
    api.get<{ jobs: Job[] }>('/api/jobs').then(
      (r) => {
        (root.querySelector('#jobs') as HTMLElement).innerHTML = r.jobs.length
          ? `<table class="grid"><thead><tr><th>Job</th><th>Kind</th><th>Model</th><th>Progress</th><th>Started</th><th>Finished</th><th>Metrics</th></tr></thead><tbody>${r.jobs.map(jobRow).join('')}</tbody></table>`
          : '<div class="empty">No training jobs.</div>';
      },
      (err: unknown) => ((root.querySelector('#jobs') as HTMLElement).innerHTML = unavailable(err)),
    );
  const loadApprovals = () =>
    api.get<{ approvals: Approval[] }>('/api/approvals').then(
      (r) => {
        (root.querySelector('#approvals') as HTMLElement).innerHTML = r.approvals.map((a) => approvalRow(a, me.role === 'admin')).join('');
      },
      () => undefined, // no trainer: the models panel says so
    );
  root.querySelector('#approvals')?.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest('button[data-decide]') as HTMLButtonElement | null;
    if (!b) return;
    b.disabled = true;
    api.post(`/api/approvals/${b.dataset['model']}/${b.dataset['version']}/${b.dataset['decide']}`, {}).then(
      () => {
        toast(b.dataset['decide'] === 'approve' ? `Rollout of ${b.dataset['model']} v${b.dataset['version']} started` : 'Rollout rejected');
        void loadApprovals();
      },
      (err: unknown) => toast(err instanceof ApiError ? err.message : 'failed', true),
    );
  });
  root.querySelector('#train')?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const model = ((ev.target as HTMLFormElement).elements.namedItem('model') as HTMLInputElement).value;
    api.post<{ id: string }>('/api/jobs', { kind: 'kmeans', model }).then(
      (r) => {
        toast(`Training job ${r.id} queued`);
        void loadJobs();
      },
      (err: unknown) => toast(err instanceof ApiError ? err.message : 'failed', true),
    );
  });
  void loadModels();
  void loadJobs();
  void loadApprovals();
  const timer = window.setInterval(() => void loadJobs().then(loadModels).then(loadApprovals), 3_000);
  return () => window.clearInterval(timer);
}
