import type { FastifyInstance } from 'fastify';

/** A dependency check for /readyz: resolve when healthy, throw (with a reason) when not. */
export type ReadinessCheck = () => Promise<unknown> | unknown;

export interface HealthState {
  /** True from the moment shutdown begins: /readyz answers 503 so load balancers stop sending. */
  readonly draining: boolean;
}

const CHECK_TIMEOUT_MS = 2_000;

export function installHealth(
  app: FastifyInstance,
  state: HealthState,
  checks: Record<string, ReadinessCheck>,
): void {
  app.get('/livez', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (state.draining) return reply.status(503).send({ status: 'draining' });
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const failed = results.some(([, result]) => result !== 'ok');
    return reply.status(failed ? 503 : 200).send({
      status: failed ? 'unavailable' : 'ok',
      checks: Object.fromEntries(results),
    });
  });
}

async function runCheck(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(check),
      new Promise((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return 'ok';
  } catch (error) {
    return `failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}
