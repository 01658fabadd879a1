type Handler = (data: unknown) => void;

/**
 * The page's one Server-Sent Events stream. Pages say what they want (a device's series,
 * inspections) and register handlers; switching page reopens the stream with the new filter.
 */
class LiveStream {
  #source: EventSource | undefined;
  #handlers = new Map<string, Set<Handler>>();
  #query = '';
  #onState: (connected: boolean) => void = () => undefined;

  onState(fn: (connected: boolean) => void): void {
    this.#onState = fn;
  }

  /** (Re)opens the stream for `opts`; handlers from the previous page are dropped. */
  open(opts: { device?: string; inspections?: boolean } = {}): void {
    this.#handlers.clear();
    const q = new URLSearchParams();
    if (opts.device) q.set('device', opts.device);
    if (opts.inspections) q.set('inspections', '1');
    const query = q.toString();
    if (this.#source && query === this.#query && this.#source.readyState !== EventSource.CLOSED) return;
    this.close();
    this.#query = query;
    const src = new EventSource(`/api/events${query ? `?${query}` : ''}`);
    this.#source = src;
    src.onopen = () => this.#onState(true);
    src.onerror = () => this.#onState(src.readyState === EventSource.OPEN);
    for (const name of ['devices', 'alert', 'telemetry', 'score', 'fault', 'inspection']) {
      src.addEventListener(name, (ev) => {
        const data = JSON.parse((ev as MessageEvent<string>).data) as unknown;
        for (const h of this.#handlers.get(name) ?? []) h(data);
      });
    }
  }

  /** Registers a handler; returns what removes it. */
  on<T>(
    event: 'devices' | 'alert' | 'telemetry' | 'score' | 'fault' | 'inspection',
    fn: (data: T) => void,
  ): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(fn as Handler);
    return () => set.delete(fn as Handler);
  }

  /** Drops every handler (the router calls it when the user leaves a page); the stream stays open. */
  release(): void {
    this.#handlers.clear();
  }

  close(): void {
    this.#source?.close();
    this.#source = undefined;
    this.#onState(false);
  }
}

export const live = new LiveStream();
