/**
 * Wakes the outbox relay right after something was written to the outbox in
 * this process, so events do not wait for the next poll. Relays in other
 * processes still find the rows by polling.
 */
export interface OutboxSignal {
  notify(): void;
  /** Resolves at the next notify() or after `timeoutMs`, whichever is first. */
  wait(timeoutMs: number): Promise<void>;
}

export function createOutboxSignal(): OutboxSignal {
  let pending = false;
  let wake: (() => void) | undefined;
  return {
    notify() {
      pending = true;
      wake?.();
    },
    wait(timeoutMs) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          pending = false;
          resolve();
        }
        wake = done;
      });
    },
  };
}
