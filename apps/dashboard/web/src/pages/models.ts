import { api, ApiError, type Me } from '../api.js';
import { esc, num, time, toast } from '../dom.js';
import type { Job, Manifest } from '../types.js';

const KINDS = [
  { kind: 'kmeans', title: 'K-means anomaly' },
  { kind: 'cnn-vision', title: 'Vision CNN' },
  { kind: 'cnn-fault', title: 'Fault CNN' },
] as const;
const KIND_TITLE: Record<string, string> = {
  kmeans: 'K-means',
  'kmeans-anomaly': 'K-means anomaly',
  'cnn-vision': 'vision CNN',
  'cnn-fault': 'fault CNN',
};

const percent = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)} %`;
const points = (d: number) => `${d > 0 ? '+' : d < 0 ? '−' : '±'}${Math.abs(d * 100).toFixed(1)} pp`;

/** The figures that decide about a model: anomaly — threshold, false-alarm rate; CNN — accuracy, int8 loss. */
interface Decisive {
  /** the headline figure and whether higher is better, for the comparison with the previous version */
  primary?: { name: string; value: number; higherIsBetter: boolean };
  html: string;
}

function decisive(m: Manifest): Decisive {
  const x = m.metrics;
  const fig = (k: string, v: string, title = '') =>
    `<div class="fig"${title ? ` title="${esc(title)}"` : ''}><span class="k">${k}</span> <b>${v}</b></div>`;
  if (m.kind === 'kmeans-anomaly') {
    const far = x['eval_false_alarm_rate'] ?? x['calibration_exceed_rate'];
    const perHour = x['calibration_hours']
      ? (x['calibration_false_alarms'] ?? 0) / (x['calibration_hours'] as number)
      : undefined;
    const html =
      fig('threshold', num(m.threshold)) +
      fig(
        'false-alarm rate',
        percent(far, 2),
        x['eval_false_alarm_rate'] !== undefined
          ? 'healthy held-out windows above the threshold'
          : 'calibration windows above the threshold',
      ) +
      (perHour !== undefined
        ? fig('false alarms / h', num(perHour, 2), 'hysteresis events per machine-hour in calibration')
        : '') +
      (x['eval_detection_rate'] !== undefined ? fig('detection', percent(x['eval_detection_rate'])) : '');
    return {
      html,
      ...(far !== undefined ? { primary: { name: 'false-alarm rate', value: far, higherIsBetter: false } } : {}),
    };
  }
  const acc = x['val_accuracy'] ?? x['test_accuracy'];
  const int8 = x['val_accuracy_int8'] ?? x['test_accuracy_int8'];
  const f1 = x['test_macro_f1'];
  const html =
    fig('accuracy', percent(acc)) +
    (acc !== undefined && int8 !== undefined
      ? fig('int8 loss', points(acc - int8).replace('+', ''), `int8 accuracy ${percent(int8)}`)
      : '') +
    (f1 !== undefined ? fig('macro-F1', num(f1)) : '');
  return { html, ...(acc !== undefined ? { primary: { name: 'accuracy', value: acc, higherIsBetter: true } } : {}) };
}

/** vs the previous registered version of the same model: the headline figure's change, green when better. */
function comparison(m: Manifest, all: Manifest[]): string {
  const prev = all.filter((o) => o.name === m.name && o.version < m.version).sort((a, b) => b.version - a.version)[0];
  if (!prev) return '<span class="muted">first version</span>';
  const a = decisive(m).primary;
  const b = decisive(prev).primary;
  if (!a || !b || a.name !== b.name) return `<span class="muted">vs v${prev.version}: —</span>`;
  const d = a.value - b.value;
  const better = d === 0 ? '' : d > 0 === a.higherIsBetter ? 'better' : 'worse';
  return `<span class="delta ${better}">vs v${prev.version}: ${a.name} ${points(d)}</span>`;
}

function allMetrics(m: Record<string, number> | undefined): string {
  const entries = Object.entries(m ?? {});
  if (!entries.length) return '';
  return `<details class="all-metrics"><summary>all ${entries.length} metrics</summary><div class="metrics">${entries.map(([k, v]) => `<span class="metric">${esc(k)} ${num(v)}</span>`).join('')}</div></details>`;
}

function modelRow(m: Manifest, all: Manifest[]): string {
  return `<tr data-model="${esc(m.name)}" data-version="${m.version}"><td><b>${esc(m.name)}</b></td><td>v${m.version}</td><td>${esc(KIND_TITLE[m.kind] ?? m.kind)}</td><td>${time(m.createdAt)}</td>
    <td><div class="decisive">${decisive(m).html}</div>${allMetrics(m.metrics)}</td><td>${comparison(m, all)}</td>
    <td>${m.quantization ? `int8 (${esc(m.quantization.activations)})` : 'fp32'}${m.variants ? ` + ${Object.keys(m.variants).map(esc).join(', ')}` : ''}</td>
    <td>${m.signature ? `✓ ${esc(m.signature.keyId)}` : '<span class="error">unsigned</span>'}</td><td>${m.training.samples}</td></tr>`;
}

function jobRow(j: Job): string {
  const pct = Math.round(j.progress * 100);
  return `<tr data-job="${esc(j.id)}" data-kind="${esc(j.kind)}"><td>${esc(j.id)}</td><td><span class="kind">${esc(KIND_TITLE[j.kind] ?? j.kind)}</span></td><td>${esc(j.model)}${j.version ? ` → v${j.version}` : ''}</td>
    <td><b>${esc(j.status)}</b><div class="progress ${j.status}"><i style="width:${pct}%"></i></div><div class="muted job-message">${pct}% ${esc(j.message)}</div>${j.gate ? `<div class="gate ${j.gate.passed ? 'better' : 'worse'}">gate ${j.gate.passed ? 'passed' : 'refused'}: ${esc(j.gate.reason)}</div>` : ''}</td>
    <td>${time(j.startedAt)}</td><td>${j.finishedAt ? time(j.finishedAt) : '—'}</td><td>${allMetrics(j.metrics)}</td></tr>`;
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

const unavailable = (err: unknown) =>
  `<div class="empty">${esc(err instanceof ApiError ? err.message : 'trainer unavailable')}</div>`;

/** Registry versions with the figures that decide, and training jobs of every kind with progress (polled). */
export function renderModels(root: HTMLElement, me: Me): () => void {
  const canTrain = me.role !== 'viewer';
  root.innerHTML = `<h1>Models</h1><div id="approvals"></div><div class="panel" style="padding:0" id="models"><div class="muted" style="padding:12px">Loading…</div></div>
    <div class="toolbar"><h2 style="margin:6px 0">Training jobs</h2><div class="grow"></div>
    ${
      canTrain
        ? `<form class="form-row" id="train"><label>Kind<select name="kind">${KINDS.map((k) => `<option value="${k.kind}">${k.title}</option>`).join('')}</select></label>
      <label>Model name<input name="model" placeholder="the trainer's model of that kind" pattern="[a-z0-9][a-z0-9-]{0,62}"></label><button class="primary">Start training</button></form>`
        : ''
    }</div>
    <div class="panel" style="padding:0" id="jobs"></div>`;
  // the panels this page draws into, held here: a request that answers after the user left (the
  // page's root then holds another page) writes into these detached elements, never into null
  const panel = (id: string) => root.querySelector(`#${id}`) as HTMLElement;
  const [modelsEl, jobsEl, approvalsEl] = [panel('models'), panel('jobs'), panel('approvals')];
  let left = false;
  const loadModels = () =>
    api.get<{ models: Manifest[] }>('/api/models').then(
      (r) => {
        modelsEl.innerHTML = r.models.length
          ? `<table class="grid"><thead><tr><th>Model</th><th>Version</th><th>Kind</th><th>Created</th><th>What decides</th><th>Change</th><th>Encoding</th><th>Signed</th><th>Samples</th></tr></thead><tbody>${r.models.map((m) => modelRow(m, r.models)).join('')}</tbody></table>`
          : '<div class="empty">No models registered yet.</div>';
      },
      (err: unknown) => (modelsEl.innerHTML = unavailable(err)),
    );
  const loadJobs = () =>
    api.get<{ jobs: Job[] }>('/api/jobs').then(
      (r) => {
        jobsEl.innerHTML = r.jobs.length
          ? `<table class="grid"><thead><tr><th>Job</th><th>Kind</th><th>Model</th><th>Progress</th><th>Started</th><th>Finished</th><th>Metrics</th></tr></thead><tbody>${r.jobs.map(jobRow).join('')}</tbody></table>`
          : '<div class="empty">No training jobs.</div>';
      },
      (err: unknown) => (jobsEl.innerHTML = unavailable(err)),
    );
  const loadApprovals = () =>
    api.get<{ approvals: Approval[] }>('/api/approvals').then(
      (r) => {
        approvalsEl.innerHTML = r.approvals.map((a) => approvalRow(a, me.role === 'admin')).join('');
      },
      () => undefined, // no trainer: the models panel says so
    );
  approvalsEl.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest('button[data-decide]') as HTMLButtonElement | null;
    if (!b) return;
    b.disabled = true;
    api.post(`/api/approvals/${b.dataset['model']}/${b.dataset['version']}/${b.dataset['decide']}`, {}).then(
      () => {
        toast(
          b.dataset['decide'] === 'approve'
            ? `Rollout of ${b.dataset['model']} v${b.dataset['version']} started`
            : 'Rollout rejected',
        );
        void loadApprovals();
      },
      (err: unknown) => toast(err instanceof ApiError ? err.message : 'failed', true),
    );
  });
  const form = root.querySelector<HTMLFormElement>('#train');
  const field = <T extends HTMLElement>(name: string) => form?.elements.namedItem(name) as T;
  form?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const kind = field<HTMLSelectElement>('kind').value;
    const model = field<HTMLInputElement>('model').value.trim();
    api.post<{ id: string }>('/api/jobs', { kind, ...(model ? { model } : {}) }).then(
      (r) => {
        toast(`${KIND_TITLE[kind] ?? kind} training job ${r.id} queued`);
        void loadJobs();
      },
      (err: unknown) => toast(err instanceof ApiError ? err.message : 'failed', true),
    );
  });
  void loadModels();
  void loadJobs();
  void loadApprovals();
  const timer = window.setInterval(
    () =>
      void loadJobs()
        .then(() => (left ? undefined : loadModels()))
        .then(() => (left ? undefined : loadApprovals())),
    3_000,
  );
  return () => {
    left = true;
    window.clearInterval(timer);
  };
}
