import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  errorCode,
  login,
  PASSWORD,
  register,
  signUp,
  type TestApp,
} from './harness.js';

describe('sessions: list, delete, logout, password change', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  beforeAll(async () => {
    env = await authTestEnvironment('sessions');
    ({ app } = await env.startApp());
  });
  afterAll(() => env?.close());

  const me = (token: string) => app.inject({ url: '/v1/users/me', headers: bearer(token) });
  const refresh = (refreshToken: string) =>
    app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });

  it("lists the caller's active sessions, marking the current one", async () => {
    const user = await register(app);
    const laptop = await login(app, user.username, PASSWORD, 'laptop');
    const phone = await login(app, user.username, PASSWORD, 'phone');
    const response = await app.inject({ url: '/v1/auth/sessions', headers: bearer(phone.accessToken) });
    expect(response.statusCode).toBe(200);
    const sessions = response.json().sessions;
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s: { id: string }) => s.id === phone.sessionId)).toMatchObject({
      deviceName: 'phone',
      current: true,
    });
    expect(sessions.find((s: { id: string }) => s.id === laptop.sessionId)).toMatchObject({
      deviceName: 'laptop',
      current: false,
    });
  });

  it('DELETE /v1/auth/sessions/:id ends another device: its tokens stop working at once', async () => {
    const user = await register(app);
    const laptop = await login(app, user.username, PASSWORD, 'laptop');
    const phone = await login(app, user.username, PASSWORD, 'phone');

    const deleted = await app.inject({
      method: 'DELETE',
      url: `/v1/auth/sessions/${laptop.sessionId}`,
      headers: bearer(phone.accessToken),
    });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect(errorCode(await me(laptop.accessToken))).toBe('AUTH_SESSION_REVOKED');
    expect(errorCode(await refresh(laptop.refreshToken))).toBe('AUTH_REFRESH_INVALID');
    expect((await me(phone.accessToken)).statusCode).toBe(200);

    const event = await env.waitForEvent('session.revoked.v1', (d) => d.sessionId === laptop.sessionId);
    expect(event.data).toMatchObject({ userId: user.id, reason: 'deleted' });

    const again = await app.inject({
      method: 'DELETE',
      url: `/v1/auth/sessions/${laptop.sessionId}`,
      headers: bearer(phone.accessToken),
    });
    expect(again.statusCode).toBe(404);
  });

  it("answers 404 for someone else's session and leaves it alone", async () => {
    const mallory = await signUp(app);
    const victim = await signUp(app);
    const response = await app.inject({
      method: 'DELETE',
      url: `/v1/auth/sessions/${victim.tokens.sessionId}`,
      headers: bearer(mallory.tokens.accessToken),
    });
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('NOT_FOUND');
    expect((await me(victim.tokens.accessToken)).statusCode).toBe(200);
  });

  it('POST /v1/auth/logout ends this session and publishes session.revoked.v1 (logout)', async () => {
    const { user, tokens } = await signUp(app);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(tokens.accessToken),
    });
    expect(response.statusCode).toBe(204);
    expect(errorCode(await me(tokens.accessToken))).toBe('AUTH_SESSION_REVOKED');
    expect(errorCode(await refresh(tokens.refreshToken))).toBe('AUTH_REFRESH_INVALID');
    const event = await env.waitForEvent('session.revoked.v1', (d) => d.sessionId === tokens.sessionId);
    expect(event.data).toMatchObject({ userId: user.id, reason: 'logout' });
  });

  it('every bearer route needs a token: 401 AUTH_TOKEN_MISSING without one', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, url] of [
      ['POST', '/v1/auth/logout'],
      ['GET', '/v1/auth/sessions'],
      ['DELETE', `/v1/auth/sessions/${id}`],
      ['GET', '/v1/users/me'],
      ['GET', `/v1/users/${id}`],
      ['GET', '/v1/users?query=ab'],
      ['GET', `/v1/users/${id}/keys`],
      ['GET', '/v1/keys/backup'],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(errorCode(response), `${method} ${url}`).toBe('AUTH_TOKEN_MISSING');
    }
  });

  it('POST /v1/auth/password changes the password and ends every other session', async () => {
    const user = await register(app);
    const here = await login(app, user.username, PASSWORD, 'here');
    const elsewhere = await login(app, user.username, PASSWORD, 'elsewhere');
    const change = (currentPassword: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/auth/password',
        headers: bearer(here.accessToken),
        payload: { currentPassword, newPassword: 'a brand new password' },
      });

    const wrong = await change('not my password');
    expect(wrong.statusCode).toBe(401);
    expect(errorCode(wrong)).toBe('AUTH_INVALID_CREDENTIALS');

    expect((await change(PASSWORD)).statusCode).toBe(204);
    expect((await me(here.accessToken)).statusCode).toBe(200);
    expect(errorCode(await me(elsewhere.accessToken))).toBe('AUTH_SESSION_REVOKED');
    const event = await env.waitForEvent('session.revoked.v1', (d) => d.sessionId === elsewhere.sessionId);
    expect(event.data.reason).toBe('password_changed');

    const oldPassword = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: user.username, password: PASSWORD },
    });
    expect(oldPassword.statusCode).toBe(401);
    await expect(login(app, user.username, 'a brand new password')).resolves.toBeDefined();
  });
});
