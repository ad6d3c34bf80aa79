import { silentLogger } from '@im/logger';
import { amqpTarget, amqpUrl, amqpUrlVia, startTcpProxy, type TcpProxy } from '@im/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { brokerPublisher, connectBroker } from '../src/events-broker.js';
import { type AuthTestEnvironment, authTestEnvironment, bearer, signUp } from './harness.js';

/**
 * Session revocation must reach the gateways even when RabbitMQ is down at the
 * moment of the commit, or the process dies right after it: events go through
 * a transactional outbox.
 */
describe('transactional outbox', () => {
  let env: AuthTestEnvironment;
  let proxy: TcpProxy;
  let db: pg.Client;
  let closeBroker: () => Promise<void>;
  beforeAll(async () => {
    env = await authTestEnvironment('outbox');
    proxy = await startTcpProxy({ target: amqpTarget() });
    db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    const broker = await connectBroker({
      url: amqpUrlVia(proxy.host, proxy.port, amqpUrl()),
      namespace: env.brokerNamespace,
      logger: silentLogger(),
      instanceId: 'outbox-test',
      tuning: {
        connectionWaitMs: 300,
        confirmTimeoutMs: 2_000,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      },
    });
    closeBroker = () => broker.close();
    env.startApp = wrapPublisher(env, brokerPublisher(broker));
  });
  afterAll(async () => {
    await db?.end();
    await env?.close();
    await closeBroker?.();
    await proxy?.close();
  });

  /** The unpublished session.revoked.v1 row of a session, if any. */
  const pendingRevocation = async (sessionId: string) =>
    (
      await db.query(
        `SELECT id, attempts, last_error FROM outbox_events
         WHERE name = 'session.revoked.v1' AND published_at IS NULL AND payload->>'sessionId' = $1`,
        [sessionId],
      )
    ).rows[0] as { id: string; attempts: number; last_error: string | null } | undefined;

  it('publishes what a copy committed but never sent (it stopped right after the commit)', async () => {
    const crashed = await env.startApp();
    const { tokens } = await signUp(crashed.app);
    await env.waitForEvent('session.created.v1', (d) => d.sessionId === tokens.sessionId);
    await crashed.components.relay.stop();
    const logout = await crashed.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(tokens.accessToken),
    });
    expect(logout.statusCode).toBe(204);
    expect(await pendingRevocation(tokens.sessionId)).toBeDefined();

    await env.startApp();
    await env.waitForEvent('session.revoked.v1', (d) => d.sessionId === tokens.sessionId);
  });

  it('keeps the revocation while RabbitMQ is unreachable and publishes it once it is back', async () => {
    const { app } = await env.startApp();
    const { tokens } = await signUp(app);
    await env.waitForEvent('session.created.v1', (d) => d.sessionId === tokens.sessionId);

    proxy.refuse();
    proxy.cutAll();
    const logout = await app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(tokens.accessToken),
    });
    expect(logout.statusCode).toBe(204);
    // The relay tried and failed; the event waits in the outbox.
    const failed = await vi.waitFor(
      async () => {
        const row = await pendingRevocation(tokens.sessionId);
        if (!row?.last_error) throw new Error('no failed publish recorded yet');
        return row;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(failed.attempts).toBeGreaterThanOrEqual(1);

    proxy.accept();
    const event = await env.waitForEvent('session.revoked.v1', (d) => d.sessionId === tokens.sessionId);
    expect(event.messageId).toBe(failed.id);
    await vi.waitFor(async () => expect(await pendingRevocation(tokens.sessionId)).toBeUndefined(), {
      timeout: 10_000,
    });
  });
});

/** Makes every app of the environment publish through `publish` (here: the broker behind the proxy). */
function wrapPublisher(env: AuthTestEnvironment, publish: ReturnType<typeof brokerPublisher>) {
  const start = env.startApp.bind(env);
  return (options: Parameters<AuthTestEnvironment['startApp']>[0] = {}) => start({ publish, ...options });
}
