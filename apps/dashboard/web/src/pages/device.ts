import { api, type Me } from '../api.js';
import { PALETTE, timeChart, type TimeChart } from '../charts.js';
import { classColour, isHealthy } from '../classes.js';
import { $, ago, esc, num, time } from '../dom.js';
import { live } from '../live.js';
import type { Alert, DeviceDetail, DeviceHistory, DeviceView, FaultPoint, Manifest } from '../types.js';

const RANGES = ['5m', '15m', '1h', '6h', '24h', '7d'] as const;
type Range = (typeof RANGES)[number];
const LIVE_MS: Partial<Record<Range, number>> = { '5m': 300_000, '15m': 900_000 };

interface Series {
  ts: number[];
  cols: Map<string, (number | null)[]>;
}

function fromColumns(c: DeviceHistory['telemetry']): Series {
  return { ts: [...c.ts], cols: new Map(Object.entries(c.series).map(([k, v]) => [k, [...v]])) };
}

function push(s: Series, ts: number, values: Record<string, number | undefined>, windowMs: number): void {
  const n = s.ts.length;
  for (const k of Object.keys(values)) if (!s.cols.has(k)) s.cols.set(k, new Array<number | null>(n).fill(null));
  s.ts.push(ts);
  for (const [k, col] of s.cols) col.push(values[k] ?? null);
  let drop = 0;
  while (drop < s.ts.length && (s.ts[drop] as number) < ts - windowMs) drop++;
  if (drop) {
    s.ts.splice(0, drop);
    for (const col of s.cols.values()) col.splice(0, drop);
  }
}

const total = (counts: Partial<Record<string, number>>) =>
  Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);

/** "12 queued (41 kB) · 3 over budget · 1 shed", each with its reasons on hover */
function evidence(e: NonNullable<DeviceView['evidence']>): string {
  const part = (n: number, what: string, counts: Partial<Record<string, number>>) =>
    `<span title="${esc(
      Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    )}">${n} ${what}</span>`;
  const parts = [part(total(e.queued), `queued (${Math.round(e.queuedBytes / 1000)} kB)`, e.queued)];
  if (total(e.rateLimited)) parts.push(part(total(e.rateLimited), 'over budget', e.rateLimited));
  if (total(e.shed)) parts.push(`<span class="error">${part(total(e.shed), 'shed', e.shed)}</span>`);
  return parts.join(' · ');
}

function facts(d: DeviceView): string {
  const m =
    d.models
      .map((x) => `${esc(x.name)} v${x.version} <span class="muted">(${esc(x.kind)}, ${esc(x.provider)})</span>`)
      .join('<br>') || 'none';
  const f = (k: string, v: string) => `<div class="fact"><div class="k">${k}</div><div class="v">${v}</div></div>`;
  return (
    f('Active models', m) +
    f('Provider', esc(d.provider ?? '—')) +
    f('Last seen', ago(d.lastSeen)) +
    f('Outbox', String(d.outboxDepth)) +
    f('Open anomalies', String(d.openAnomalies)) +
    (d.uptimeS !== undefined ? f('Uptime', `${Math.round(d.uptimeS / 60)} min`) : '') +
    (d.evidence ? f('Evidence kept', evidence(d.evidence)) : '') +
    (d.rollout ? f('Rollout', `${esc(d.rollout.name)} v${d.rollout.version}: ${esc(d.rollout.status)}`) : '') +
    (d.lastError
      ? f('Last error', `<span class="error">${esc(d.lastError.code)}: ${esc(d.lastError.message)}</span>`)
      : '')
  );
}

/** The fault CNN's newest verdict and a strip of the recent ones (oldest left), with the class changes listed. */
function faultPanel(points: FaultPoint[]): string {
  const last = points.at(-1);
  if (!last) return '<span class="muted">No fault CNN predictions from this device.</span>';
  const cells = points
    .slice(-60)
    .map(
      (p) =>
        `<i style="background:${classColour(p.label)}" title="${esc(p.label)} ${Math.round(p.confidence * 100)}% · ${time(p.ts)}"></i>`,
    )
    .join('');
  const changes: FaultPoint[] = [];
  for (const p of points) if (changes.at(-1)?.label !== p.label) changes.push(p);
  const rows = changes
    .slice(-5)
    .reverse()
    .map(
      (p) =>
        `<tr><td><span class="dot" style="background:${classColour(p.label)}"></span> ${esc(p.label)}</td><td>${Math.round(p.confidence * 100)}%</td><td>${time(p.ts)}</td></tr>`,
    )
    .join('');
  return `<div class="fault-now"><span class="fault-label ${isHealthy(last.label) ? 'ok' : 'defect'}" style="border-color:${classColour(last.label)}">${esc(last.label)}</span>
    <span><b>${Math.round(last.confidence * 100)}%</b> confidence</span><span class="muted">${esc(last.model.name)} v${last.model.version} · ${ago(last.ts)}</span></div>
    <div class="fault-strip" title="last ${Math.min(60, points.length)} windows, oldest left">${cells}</div>
    <table class="grid compact"><thead><tr><th>Class since</th><th>Confidence</th><th>At</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** One device: facts, fault CNN verdicts, telemetry small multiples, anomaly score with threshold and shaded events. */
export function renderDevice(root: HTMLElement, _me: Me, deviceId: string): () => void {
  let range: Range = '5m';
  let history: DeviceHistory | undefined;
  let tel: Series = { ts: [], cols: new Map() };
  let scores: Series = { ts: [], cols: new Map() };
  let charts: TimeChart[] = [];
  let scoreChart: TimeChart | undefined;
  let telCharts = new Map<string, TimeChart>();
  root.innerHTML = `<div class="panel"><div class="device-head"><h1>${esc(deviceId)}</h1><span id="status"></span><span class="muted" id="where"></span><div class="toolbar" style="margin:0 0 0 auto">
    <div class="ranges">${RANGES.map((r) => `<button data-r="${r}" class="${r === range ? 'on' : ''}">${r}</button>`).join('')}</div><span class="muted" id="src"></span></div></div>
    <div class="facts" id="facts"></div></div>
    <div class="panel" id="fault-panel" hidden><div class="chart-title"><b>Fault class (fault CNN)</b><span id="fault-note"></span></div><div id="faults"></div></div>
    <div class="panel"><div class="chart-title"><b>Anomaly score</b><span id="score-note"></span></div><div class="chart" id="score-chart"></div></div>
    <div class="panel"><div class="chart-title"><b>Telemetry</b><span id="tel-note"></span></div><div id="tel-charts"></div></div>`;

  /** the active anomaly model's threshold from the registry, until an event tells the one the edge judged by */
  let modelThreshold: { value: number; model: string } | undefined;
  const threshold = () => history?.threshold ?? modelThreshold?.value;
  const shade = () => history?.anomalies ?? [];
  const draw = () => {
    if (!scoreChart) {
      scoreChart = timeChart($('#score-chart', root), {
        height: 200,
        syncKey: deviceId,
        threshold,
        shade,
        series: [
          { label: 'score', stroke: '#94a3b8', width: 1 },
          { label: 'smoothed', stroke: '#dc2626', width: 2 },
        ],
      });
      charts.push(scoreChart);
    }
    scoreChart.setData(scores.ts, [scores.cols.get('score') ?? [], scores.cols.get('smoothed') ?? []]);
    $('#score-note', root).textContent = scores.ts.length
      ? `${scores.ts.length} windows` +
        (threshold() !== undefined
          ? ` · threshold ${num(threshold())}${history?.threshold === undefined && modelThreshold ? ` (${modelThreshold.model})` : ''}`
          : '')
      : 'no scored windows in this range';
    const holder = $('#tel-charts', root);
    let i = 0;
    for (const [name, col] of tel.cols) {
      let c = telCharts.get(name);
      if (!c) {
        const el = document.createElement('div');
        el.className = 'chart';
        el.dataset['sensor'] = name;
        holder.append(el);
        c = timeChart(el, {
          height: 130,
          syncKey: deviceId,
          shade,
          series: [{ label: name, stroke: PALETTE[i % PALETTE.length] as string, width: 1.6 }],
        });
        telCharts.set(name, c);
        charts.push(c);
      }
      c.setData(tel.ts, [col]);
      i++;
    }
    $('#tel-note', root).textContent = tel.ts.length
      ? `${tel.ts.length} points · ${tel.cols.size} sensors`
      : 'no telemetry in this range';
    root.dataset['points'] = String(tel.ts.length);
  };
  let drawQueued = false;
  const queueDraw = () => {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => {
      drawQueued = false;
      draw();
    });
  };
  const resetCharts = () => {
    for (const c of charts) c.destroy();
    charts = [];
    scoreChart = undefined;
    telCharts = new Map();
    $('#tel-charts', root).innerHTML = '';
  };
  const loadHistory = () =>
    api.get<DeviceHistory>(`/api/devices/${encodeURIComponent(deviceId)}/history?range=${range}`).then((h) => {
      history = h;
      tel = fromColumns(h.telemetry);
      scores = fromColumns(h.scores);
      $('#src', root).textContent =
        h.source === 'influx'
          ? `InfluxDB${h.every ? `, ${h.every} means` : ''}`
          : LIVE_MS[range]
            ? 'live'
            : 'live window only';
      resetCharts();
      draw();
    });
  const showDevice = (d: DeviceView) => {
    $('#status', root).innerHTML =
      `<span class="pill ${d.status}"><span class="dot ${d.status}"></span>${d.status}</span>`;
    $('#where', root).textContent = `site ${d.site} · line ${d.line}`;
    $('#facts', root).innerHTML = facts(d);
  };
  let faults: FaultPoint[] = [];
  const showFaults = () => {
    $('#faults', root).innerHTML = faultPanel(faults);
    $('#fault-note', root).textContent = faults.length ? `${faults.length} recent windows` : '';
    root.dataset['faults'] = String(faults.length);
    $('#fault-panel', root).hidden = !faults.length; // only devices a fault CNN runs on
  };
  let modelsAsked = false;
  const findModelThreshold = (d: DeviceView) => {
    const active = d.models.find((m) => m.kind === 'kmeans-anomaly');
    if (!active || modelsAsked) return;
    modelsAsked = true;
    api.get<{ models: Manifest[] }>('/api/models').then(
      (r) => {
        const m = r.models.find((x) => x.name === active.name && x.version === active.version);
        if (m?.threshold === undefined) return;
        modelThreshold = { value: m.threshold, model: `${m.name} v${m.version}` };
        scoreChart?.redraw();
        queueDraw();
      },
      () => undefined, // no trainer: the line appears with the first event
    );
  };
  const loadDevice = () =>
    api.get<DeviceDetail>(`/api/devices/${encodeURIComponent(deviceId)}`).then(
      (d) => {
        showDevice(d);
        findModelThreshold(d);
        faults = d.faults;
        showFaults();
      },
      () => ($('#facts', root).innerHTML = '<span class="muted">This device has not reported yet.</span>'),
    );

  for (const b of root.querySelectorAll<HTMLButtonElement>('.ranges button')) {
    b.addEventListener('click', () => {
      range = b.dataset['r'] as Range;
      for (const x of root.querySelectorAll('.ranges button')) x.classList.toggle('on', x === b);
      void loadHistory();
    });
  }
  live.open({ device: deviceId });
  live.on<{ deviceId: string; ts: number; values: Record<string, number> }>('telemetry', (p) => {
    const w = LIVE_MS[range];
    if (p.deviceId !== deviceId || !w) return;
    const fresh = [...Object.keys(p.values)].some((k) => !tel.cols.has(k));
    push(tel, p.ts, p.values, w);
    if (fresh) resetCharts();
    queueDraw();
  });
  live.on<{ deviceId: string; ts: number; score?: number; smoothed?: number }>('score', (p) => {
    const w = LIVE_MS[range];
    if (p.deviceId !== deviceId || !w) return;
    push(scores, p.ts, { score: p.score, smoothed: p.smoothed }, w);
    queueDraw();
  });
  live.on<FaultPoint & { deviceId: string }>('fault', ({ deviceId: id, ...p }) => {
    if (id !== deviceId) return;
    faults = [...faults.filter((f) => f.ts !== p.ts), p].sort((a, b) => a.ts - b.ts).slice(-120);
    showFaults();
  });
  live.on<Alert>('alert', (a) => {
    if (a.deviceId !== deviceId || !history) return;
    history.threshold = a.threshold;
    history.anomalies = [
      ...history.anomalies.filter((x) => x.eventId !== a.eventId),
      { from: a.openedAt, ...(a.closedAt ? { to: a.closedAt } : {}), eventId: a.eventId },
    ];
    queueDraw();
    void loadDevice();
  });
  live.on<DeviceView[]>('devices', (list) => {
    const mine = list.find((d) => d.deviceId === deviceId);
    if (mine) showDevice(mine);
  });
  void loadDevice();
  void loadHistory();
  return () => resetCharts();
}
