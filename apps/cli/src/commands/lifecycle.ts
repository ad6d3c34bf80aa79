import type { Context } from '../cli/context.js';

export interface Stopper {
  /** Resolves when the person interrupts (Ctrl-C, SIGTERM, SIGHUP), the reader of stdout goes away, or `stop()`. */
  readonly promise: Promise<void>;
  readonly done: boolean;
  stop(): void;
}

/** For commands that run until they are stopped (`im tail`, `im chat`). */
export function untilInterrupted(ctx: Context): Stopper {
  let resolve!: () => void;
  let done = false;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = () => stop();
  // `im tail | head -3`: the reader has gone; stop quietly instead of failing on EPIPE (and stay
  // subscribed: writes still queued would otherwise raise an unhandled 'error').
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stop();
  };
  const stop = () => {
    if (done) return;
    done = true;
    for (const signal of signals) process.off(signal, onSignal);
    resolve();
  };
  for (const signal of signals) process.on(signal, onSignal);
  ctx.io.stdout.on('error', onOutputError);
  return {
    promise,
    get done() {
      return done;
    },
    stop,
  };
}
