import { esc } from './dom.js';
import type { WindowBlob } from './types.js';

const HEALTHY = new Set(['ok', 'good', 'normal', 'healthy']);
const LINE_COLOURS = ['#2563eb', '#0891b2', '#7c3aed', '#059669', '#ea580c', '#db2777', '#4f46e5', '#65a30d'];
const DEFECT_COLOURS = ['#dc2626', '#ea580c', '#7c3aed', '#db2777', '#0891b2', '#ca8a04', '#4f46e5', '#be123c'];

/** A stable colour per class: green for the healthy ones, a fixed hue per defect or fault name. */
export function classColour(label: string): string {
  if (HEALTHY.has(label)) return '#16a34a';
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return DEFECT_COLOURS[h % DEFECT_COLOURS.length] as string;
}

export const isHealthy = (label: string): boolean => HEALTHY.has(label);

/**
 * A small SVG line chart of a raw window, one line per sensor (each scaled to its own range), with
 * the event's onset marked. Static markup: no script, so it sits in innerHTML under the CSP.
 */
export function windowChart(w: WindowBlob, onset?: number, size = { width: 420, height: 120 }): string {
  const { width, height } = size;
  const names = Object.keys(w.sensors).slice(0, 8);
  let durationMs = 0;
  for (const n of names) {
    const s = w.sensors[n];
    if (s && s.rate > 0) durationMs = Math.max(durationMs, (s.values.length / s.rate) * 1000);
  }
  if (!durationMs) return '<div class="muted">empty window</div>';
  const x = (ms: number) => ((ms / durationMs) * width).toFixed(1);
  const lines = names.map((n, i) => {
    const s = w.sensors[n] as WindowBlob['sensors'][string];
    const step = Math.max(1, Math.floor(s.values.length / 600)); // at most ~600 points a line
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of s.values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const span = hi - lo || 1;
    const pts: string[] = [];
    for (let k = 0; k < s.values.length; k += step) {
      const v = s.values[k] as number;
      if (Number.isFinite(v))
        pts.push(`${x((k / s.rate) * 1000)},${(height - 4 - ((v - lo) / span) * (height - 8)).toFixed(1)}`);
    }
    const colour = LINE_COLOURS[i % LINE_COLOURS.length] as string;
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.2" points="${pts.join(' ')}"><title>${esc(n)}</title></polyline>`;
  });
  const mark =
    onset !== undefined && onset >= w.t0 && onset - w.t0 <= durationMs
      ? `<line x1="${x(onset - w.t0)}" x2="${x(onset - w.t0)}" y1="0" y2="${height}" stroke="#dc2626" stroke-dasharray="4 3"><title>onset</title></line>`
      : '';
  const legend = names
    .map((n, i) => `<span style="color:${LINE_COLOURS[i % LINE_COLOURS.length] as string}">■ ${esc(n)}</span>`)
    .join(' ');
  return `<svg class="window-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="raw window">${mark}${lines.join('')}</svg>
    <div class="muted">${legend} · ${(durationMs / 1000).toFixed(1)} s, each line scaled to its own range${mark ? ' · red: onset' : ''}</div>`;
}
