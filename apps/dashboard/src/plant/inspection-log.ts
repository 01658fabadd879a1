import type { InspectionResult } from '@takt/contracts';

/** A camera frame's verdict as the Inspections page shows it. */
export interface InspectionView {
  deviceId: string;
  site: string;
  line: string;
  frameId: string;
  ts: number;
  label: string;
  confidence: number;
  model: { name: string; version: number };
  /** base64 PNG preview, when the edge sent one */
  thumbnail?: string;
  truth?: string;
  /** an engineer's correction, also published as a `label` message */
  relabel?: { label: string; by: string; at: number; labelId: string };
}

/** The most recent inspection results (with thumbnails), newest first, bounded. */
export class InspectionLog {
  #items: InspectionView[] = [];

  constructor(private readonly maxItems = 500) {}

  add(site: string, line: string, r: InspectionResult): InspectionView {
    const view: InspectionView = {
      deviceId: r.deviceId,
      site,
      line,
      frameId: r.frameId,
      ts: r.ts,
      label: r.label,
      confidence: r.confidence,
      model: r.model,
    };
    if (r.thumbnail) view.thumbnail = r.thumbnail;
    if (r.truth) view.truth = r.truth;
    const rest = this.#items.filter((x) => !(x.deviceId === r.deviceId && x.frameId === r.frameId));
    const at = rest.findIndex((x) => x.ts <= view.ts); // newest first, even when frames arrive out of order
    rest.splice(at < 0 ? rest.length : at, 0, view);
    this.#items = rest.slice(0, this.maxItems);
    return view;
  }

  find(deviceId: string, frameId: string): InspectionView | undefined {
    return this.#items.find((x) => x.deviceId === deviceId && x.frameId === frameId);
  }

  list(f: { device?: string; label?: string; limit: number }): InspectionView[] {
    return this.#items
      .filter((x) => (!f.device || x.deviceId === f.device) && (!f.label || x.label === f.label))
      .slice(0, f.limit);
  }
}
