import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  signUp,
  TEST_SETTINGS,
  type TestApp,
} from './harness.js';

describe('skeleton endpoints', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  beforeAll(async () => {
    env = await authTestEnvironment('skeleton');
    ({ app } = await env.startApp());
  });
  afterAll(() => env?.close());

  it('answers /livez, and /readyz with the database check', async () => {
    expect((await app.inject('/livez')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('exposes request metrics by route', async () => {
    await signUp(app);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/auth\/login"/);
  });

  it('serves the OpenAPI document at /docs/json', async () => {
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.info.title).toBe('Auth service');
    expect(
      doc.paths['/v1/auth/register'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['username', 'password']);
  });
});

/** Standalone mode and docker-compose put every service in its own Postgres schema of one database. */
describe('in a Postgres schema of its own', () => {
  let env: AuthTestEnvironment;
  beforeAll(async () => {
    env = await authTestEnvironment('schema', { schema: 'auth' });
  });
  afterAll(() => env?.close());

  it('runs every query there, hand-written SQL (rate limits, outbox, key lock) included', async () => {
    expect(env.databaseUrl).toContain('schema=auth');
    const { app } = await env.startApp({
      settings: {
        rateLimits: {
          ...TEST_SETTINGS.rateLimits,
          registerPerIp: { limit: 1, windowMs: 60_000 },
        },
      },
    });
    const { tokens } = await signUp(app);
    await env.waitForEvent('session.created.v1', (d) => d.sessionId === tokens.sessionId);
    const second = await app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { username: 'second_user', password: 'long enough pw' },
    });
    expect(second.statusCode).toBe(429);
  });
});
