import type { Logger } from '@im/logger';
import type { HealthState } from './health.js';

type Step = { name: string; run: () => Promise<unknown> | unknown };

/**
 * Shutdown happens once, at the process edge, in the order the steps were
 * added (stop accepting, drain, close consumers, close the broker, close
 * Fastify, disconnect the database), under one timeout.
 */
export class Lifecycle implements HealthState {
  #draining = false;
  #steps: Step[] = [];
  #shutdown: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  get draining(): boolean {
    return this.#draining;
  }

  /** Adds a shutdown step; steps run in the order added. */
  onShutdown(name: string, run: Step['run']): void {
    this.#steps.push({ name, run });
  }

  /** Runs every step once; later calls return the same promise. Rejects if a step fails or time runs out. */
  shutdown(reason: string): Promise<void> {
    this.#shutdown ??= this.#run(reason);
    return this.#shutdown;
  }

  async #run(reason: string): Promise<void> {
    this.#draining = true;
    this.logger.info({ reason, steps: this.#steps.map((s) => s.name) }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`shutdown exceeded ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    let failed = false;
    try {
      await Promise.race([
        (async () => {
          for (const step of this.#steps) {
            const started = Date.now();
            try {
              await step.run();
              this.logger.debug({ step: step.name, ms: Date.now() - started }, 'shutdown step done');
            } catch (error) {
              failed = true;
              this.logger.error({ err: error, step: step.name }, 'shutdown step failed; continuing');
            }
          }
        })(),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (failed) throw new Error('one or more shutdown steps failed');
    this.logger.info('shutdown complete');
  }
}

export interface RunMainOptions {
  logger: Logger;
  shutdownTimeoutMs?: number;
  /** Starts the service and registers its shutdown steps on the lifecycle. */
  start: (lifecycle: Lifecycle) => Promise<void>;
}

/**
 * The only place that touches signals and exit codes. Every app's main.ts ends
 * with `await runMain(...)`.
 */
export async function runMain(options: RunMainOptions): Promise<Lifecycle> {
  const { logger } = options;
  const lifecycle = new Lifecycle(logger, options.shutdownTimeoutMs);

  const stop = (reason: string, exitCode: number) => {
    lifecycle.shutdown(reason).then(
      () => {
        process.exitCode = exitCode;
        // Handles still open after an orderly shutdown must not keep the process alive.
        setTimeout(() => process.exit(exitCode), 100).unref();
      },
      (error: unknown) => {
        logger.fatal({ err: error }, 'shutdown did not complete cleanly; exiting with status 1');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM', 0));
  process.once('SIGINT', () => stop('SIGINT', 0));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; shutting down');
    stop('uncaughtException', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled promise rejection; shutting down');
    stop('unhandledRejection', 1);
  });

  try {
    await options.start(lifecycle);
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed; exiting with status 1');
    await lifecycle.shutdown('start-up failed').catch((shutdownError: unknown) => {
      logger.error({ err: shutdownError }, 'cleanup after failed start-up also failed');
    });
    process.exit(1);
  }
  return lifecycle;
}
