/**
 * A small typed event emitter that runs unchanged in browsers and Node (no
 * node:events). A listener that throws is reported to `listenerFailed` and
 * never stops the other listeners or the emitter.
 */
export type Listener<T> = (payload: T) => void;

export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  /**
   * Resolves with the next payload of `event` that satisfies `predicate`;
   * rejects after `timeoutMs` (default: never).
   */
  next<E extends keyof Events>(
    event: E,
    predicate: (payload: Events[E]) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<Events[E]> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const off = this.on(event, (payload) => {
        if (!predicate(payload)) return;
        off();
        clearTimeout(timer);
        resolve(payload);
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          off();
          reject(new Error(`no matching '${String(event)}' event within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  protected emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[E]>)(payload);
      } catch (error) {
        this.listenerFailed(error, event);
      }
    }
  }

  /** Called when a listener throws; by default the error is rethrown outside the emitter (uncaught). */
  protected listenerFailed(error: unknown, _event: keyof Events): void {
    queueMicrotask(() => {
      throw error;
    });
  }
}
