import { EventEmitter } from 'node:events';

/** Signatures of the events an emitter sends, by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listener parameters differ per event; each map entry types its own
export type EventMap<E> = { [K in keyof E]: (...args: any[]) => void };

/** An EventEmitter typed by an event map (the MQTT.js habit). */
export class TypedEventEmitter<E extends EventMap<E>> {
  readonly #emitter = new EventEmitter();

  on<K extends keyof E & string>(event: K, listener: E[K]): this {
    this.#emitter.on(event, listener);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: E[K]): this {
    this.#emitter.once(event, listener);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: E[K]): this {
    this.#emitter.off(event, listener);
    return this;
  }

  protected emit<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): boolean {
    return this.#emitter.emit(event, ...args);
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }
}
