import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE } from '@im/auth-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argon2idHasher, type PasswordHasher } from '../src/domain/passwords.js';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  errorCode,
  login,
  PASSWORD,
  register,
  TEST_SETTINGS,
  type TestApp,
  uniqueName,
} from './harness.js';

/** The real hasher, counting the argon2 verifications it does. */
function countingHasher() {
  const real = argon2idHasher();
  const counts = { verify: 0, verifyNobody: 0 };
  const hasher: PasswordHasher = {
    ...real,
    verify: (hash, password) => {
      counts.verify += 1;
      return real.verify(hash, password);
    },
    verifyNobody: (password) => {
      counts.verifyNobody += 1;
      return real.verifyNobody(password);
    },
  };
  return { hasher, counts };
}

describe('POST /v1/auth/login', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  const { hasher, counts } = countingHasher();
  beforeAll(async () => {
    env = await authTestEnvironment('login');
    ({ app } = await env.startApp({ hasher }));
  });
  afterAll(() => env?.close());

  it('opens a session and returns an access token with every required claim', async () => {
    const user = await register(app, uniqueName('Bob'));
    const before = Math.floor(Date.now() / 1000);
    const pair = await login(app, user.username.toUpperCase(), PASSWORD, 'phone');
    expect(pair).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: TEST_SETTINGS.accessTokenTtlMs / 1000,
      user,
      sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const header = decodeProtectedHeader(pair.accessToken);
    expect(header).toEqual({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: expect.any(String) });
    const claims = decodeJwt(pair.accessToken);
    expect(claims).toEqual({
      iss: TEST_SETTINGS.issuer,
      aud: TEST_SETTINGS.audience,
      sub: user.id,
      sid: pair.sessionId,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(900);

    const me = await app.inject({ url: '/v1/users/me', headers: bearer(pair.accessToken) });
    expect(me.json()).toEqual(user);

    const event = await env.waitForEvent('session.created.v1', (d) => d.sessionId === pair.sessionId);
    expect(event.data).toMatchObject({ userId: user.id, deviceName: 'phone' });
  });

  it('gives every login its own session, named "unnamed device" by default', async () => {
    const user = await register(app);
    const a = await login(app, user.username);
    const b = await login(app, user.username);
    expect(a.sessionId).not.toBe(b.sessionId);
    const sessions = await app.inject({ url: '/v1/auth/sessions', headers: bearer(a.accessToken) });
    expect(sessions.json().sessions.map((s: { deviceName: string }) => s.deviceName)).toEqual([
      'unnamed device',
      'unnamed device',
    ]);
  });

  it('answers an unknown user and a wrong password alike, after one argon2 verification each', async () => {
    const user = await register(app);
    const attempt = (username: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username, password: 'wrong password' },
      });

    const before = { ...counts };
    const wrongPassword = await attempt(user.username);
    expect(counts.verify - before.verify).toBe(1);
    const unknownUser = await attempt(uniqueName('ghost'));
    expect(counts.verifyNobody - before.verifyNobody).toBe(1);

    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownUser.statusCode).toBe(401);
    expect(wrongPassword.json()).toEqual(unknownUser.json());
    expect(errorCode(wrongPassword)).toBe('AUTH_INVALID_CREDENTIALS');
  });

  it('refuses a malformed login body with 400', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'ab' } });
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('VALIDATION_FAILED');
  });
});
