/** Escapes text for HTML. Every value from the API goes through this before it meets innerHTML. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** "4 s ago", "3 min ago", "2 h ago". */
export function ago(ts: number | undefined, now = Date.now()): string {
  if (!ts) return 'never';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function time(ts: number | undefined): string {
  return ts
    ? new Date(ts).toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
    : '—';
}

export function num(v: number | undefined | null, digits = 3): string {
  return v === undefined || v === null || !Number.isFinite(v) ? '—' : Number(v.toPrecision(digits)).toString();
}

export function $(sel: string, root: ParentNode = document): HTMLElement {
  const el = root.querySelector<HTMLElement>(sel);
  if (!el) throw new Error(`no element ${sel}`);
  return el;
}

let toastTimer: number | undefined;
/** A short message in the corner; red when `bad`. */
export function toast(text: string, bad = false): void {
  let el = document.querySelector<HTMLElement>('.toast');
  if (!el) {
    el = document.createElement('div');
    document.body.append(el);
  }
  el.className = `toast${bad ? ' bad' : ''}`;
  el.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el?.remove(), 3500);
}
