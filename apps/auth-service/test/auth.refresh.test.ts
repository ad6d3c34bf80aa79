import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  errorCode,
  signUp,
  TEST_SETTINGS,
  type TestApp,
  TestClock,
} from './harness.js';

describe('POST /v1/auth/refresh', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  const clock = new TestClock();
  beforeAll(async () => {
    env = await authTestEnvironment('refresh');
    ({ app } = await env.startApp({ clock: clock.now }));
  });
  afterAll(() => env?.close());

  const refresh = (refreshToken: string) =>
    app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });

  it('rotates: a new pair for the same session, and the old refresh token is spent', async () => {
    const { user, tokens } = await signUp(app);
    const response = await refresh(tokens.refreshToken);
    expect(response.statusCode).toBe(200);
    const next = response.json();
    expect(next).toMatchObject({ sessionId: tokens.sessionId, user, tokenType: 'Bearer' });
    expect(next.refreshToken).not.toBe(tokens.refreshToken);
    expect(next.accessToken).not.toBe(tokens.accessToken);
    const me = await app.inject({ url: '/v1/users/me', headers: bearer(next.accessToken) });
    expect(me.statusCode).toBe(200);

    // The next one works in turn.
    expect((await refresh(next.refreshToken)).statusCode).toBe(200);
  });

  it('revokes the whole session when a spent refresh token is presented again', async () => {
    const { user, tokens } = await signUp(app);
    const second = (await refresh(tokens.refreshToken)).json();

    const reuse = await refresh(tokens.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(errorCode(reuse)).toBe('AUTH_REFRESH_REUSED');

    // Everything of that session is dead: the newest refresh token and every access token.
    const afterwards = await refresh(second.refreshToken);
    expect(afterwards.statusCode).toBe(401);
    expect(errorCode(afterwards)).toBe('AUTH_REFRESH_INVALID');
    for (const token of [tokens.accessToken, second.accessToken]) {
      const me = await app.inject({ url: '/v1/users/me', headers: bearer(token) });
      expect(me.statusCode).toBe(401);
      expect(errorCode(me)).toBe('AUTH_SESSION_REVOKED');
    }
    const event = await env.waitForEvent('session.revoked.v1', (d) => d.sessionId === tokens.sessionId);
    expect(event.data).toMatchObject({ userId: user.id, reason: 'reuse_detected' });
  });

  it('lets exactly one of several concurrent refreshes with one token succeed', async () => {
    const { tokens } = await signUp(app);
    const responses = await Promise.all(Array.from({ length: 5 }, () => refresh(tokens.refreshToken)));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    // The losers presented a token that was spent by then: that is reuse, and the session ends.
    const loserCodes = new Set(responses.filter((r) => r.statusCode === 401).map(errorCode));
    expect([...loserCodes].every((c) => c === 'AUTH_REFRESH_REUSED' || c === 'AUTH_REFRESH_INVALID')).toBe(
      true,
    );
    expect(loserCodes.has('AUTH_REFRESH_REUSED')).toBe(true);
    await env.waitForEvent('session.revoked.v1', (d) => d.sessionId === tokens.sessionId);
  });

  it('refuses an unknown refresh token and a malformed one', async () => {
    const unknown = await refresh('A'.repeat(43));
    expect(unknown.statusCode).toBe(401);
    expect(errorCode(unknown)).toBe('AUTH_REFRESH_INVALID');
    const malformed = await refresh('not a token!');
    expect(malformed.statusCode).toBe(400);
  });

  it('refuses a refresh token past its lifetime', async () => {
    const { tokens } = await signUp(app);
    clock.advance(TEST_SETTINGS.refreshTokenTtlMs + 1_000);
    try {
      const response = await refresh(tokens.refreshToken);
      expect(response.statusCode).toBe(401);
      expect(errorCode(response)).toBe('AUTH_REFRESH_INVALID');
    } finally {
      clock.offsetMs = 0;
    }
  });
});
