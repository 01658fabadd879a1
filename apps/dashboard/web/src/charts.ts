import uPlot from 'uplot';

export const PALETTE = ['#2563eb', '#0891b2', '#7c3aed', '#059669', '#ea580c', '#db2777', '#4f46e5', '#65a30d'];

export interface SeriesSpec {
  label: string;
  stroke: string;
  width?: number;
  dash?: number[];
  fill?: string;
}

export interface TimeChartOptions {
  series: SeriesSpec[];
  /** px; default 160 */
  height?: number;
  /** a horizontal dashed line, e.g. the anomaly threshold */
  threshold?: () => number | undefined;
  /** periods to shade red, ms epoch; `to` undefined while still open */
  shade?: () => { from: number; to?: number }[];
  /** charts with the same key share the cursor */
  syncKey?: string;
  /** unit shown on the y axis */
  unit?: string;
}

export interface TimeChart {
  /** x in ms epoch; one y column per series */
  setData(ts: number[], cols: (number | null)[][]): void;
  redraw(): void;
  destroy(): void;
}

function overlays(opts: TimeChartOptions): uPlot.Plugin {
  return {
    hooks: {
      drawClear: [
        (u) => {
          const periods = opts.shade?.() ?? [];
          if (!periods.length) return;
          const { ctx, bbox } = u;
          ctx.save();
          ctx.fillStyle = 'rgba(220, 38, 38, 0.13)';
          for (const p of periods) {
            const x0 = Math.max(bbox.left, u.valToPos(p.from / 1000, 'x', true));
            const x1 = Math.min(
              bbox.left + bbox.width,
              p.to === undefined ? bbox.left + bbox.width : u.valToPos(p.to / 1000, 'x', true),
            );
            if (x1 > x0) ctx.fillRect(x0, bbox.top, Math.max(2, x1 - x0), bbox.height);
          }
          ctx.restore();
        },
      ],
      draw: [
        (u) => {
          const th = opts.threshold?.();
          if (th === undefined) return;
          const { ctx, bbox } = u;
          const y = Math.round(u.valToPos(th, 'y', true)) + 0.5;
          ctx.save();
          ctx.strokeStyle = '#dc2626';
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.beginPath();
          ctx.moveTo(bbox.left, y);
          ctx.lineTo(bbox.left + bbox.width, y);
          ctx.stroke();
          ctx.fillStyle = '#dc2626';
          ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
          ctx.textAlign = 'right';
          ctx.textBaseline = 'bottom';
          ctx.fillText(`threshold ${th}`, bbox.left + bbox.width - 6 * devicePixelRatio, y - 3 * devicePixelRatio);
          ctx.restore();
        },
      ],
    },
  };
}

/** A uPlot time-series chart that follows its container's width. */
export function timeChart(el: HTMLElement, opts: TimeChartOptions): TimeChart {
  const width = () => Math.max(300, el.clientWidth);
  const yRange = (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
    const th = opts.threshold?.();
    let lo = min ?? 0;
    let hi = max ?? 1;
    if (th !== undefined) {
      lo = Math.min(lo, 0);
      hi = Math.max(hi, th * 1.15);
    }
    if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
    const pad = (hi - lo) * 0.06;
    return [lo - (lo === 0 ? 0 : pad), hi + pad];
  };
  const plot = new uPlot(
    {
      width: width(),
      height: opts.height ?? 160,
      legend: { show: true, live: true },
      cursor: { sync: opts.syncKey ? { key: opts.syncKey } : undefined, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: yRange } },
      axes: [
        { stroke: '#6b7280', grid: { stroke: '#f1f5f9' }, ticks: { stroke: '#e5e7eb' } },
        {
          stroke: '#6b7280',
          grid: { stroke: '#f1f5f9' },
          ticks: { stroke: '#e5e7eb' },
          size: 56,
          ...(opts.unit ? { label: opts.unit, labelSize: 14 } : {}),
        },
      ],
      series: [
        {},
        ...opts.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width ?? 1.5,
          spanGaps: false,
          points: { show: false },
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.fill ? { fill: s.fill } : {}),
        })),
      ],
      plugins: [overlays(opts)],
    },
    [[], ...opts.series.map(() => [])],
    el,
  );
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: opts.height ?? 160 }));
  resize.observe(el);
  return {
    setData: (ts, cols) => plot.setData([ts.map((t) => t / 1000), ...cols] as uPlot.AlignedData),
    redraw: () => plot.redraw(false, true),
    destroy: () => {
      resize.disconnect();
      plot.destroy();
    },
  };
}
