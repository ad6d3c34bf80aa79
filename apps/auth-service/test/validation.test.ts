import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  errorCode,
  signUp,
  type TestApp,
} from './harness.js';

/** Every byte from outside is validated: bad input gets a typed error and changes nothing. */
describe('malformed and oversized requests', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  beforeAll(async () => {
    env = await authTestEnvironment('validation');
    ({ app } = await env.startApp({ settings: { bodyLimitBytes: 16 * 1024 } }));
  });
  afterAll(() => env?.close());

  const post = (url: string, payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

  it('answers a body over the limit with 413 BODY_TOO_LARGE', async () => {
    const huge = JSON.stringify({ username: 'someone', password: 'x'.repeat(20 * 1024) });
    for (const url of ['/v1/auth/register', '/v1/auth/login', '/v1/auth/refresh']) {
      const response = await post(url, huge);
      expect(response.statusCode, url).toBe(413);
      expect(errorCode(response)).toBe('BODY_TOO_LARGE');
    }
  });

  it.each([
    ['broken JSON', '{"username": "abc", '],
    ['an empty body', ''],
    ['an array', '[]'],
    ['null', 'null'],
    ['a string', '"username"'],
    ['missing fields', '{}'],
    ['wrong types', '{"username": ["abc"], "password": {"$gt": ""}}'],
  ])('answers %s with 400 VALIDATION_FAILED', async (_label, body) => {
    for (const url of ['/v1/auth/register', '/v1/auth/login', '/v1/auth/refresh']) {
      const response = await post(url, body);
      expect(response.statusCode, `${url} ${body}`).toBe(400);
      expect(errorCode(response)).toBe('VALIDATION_FAILED');
      expect(response.json().error.message).toEqual(expect.any(String));
    }
  });

  it('answers a non-JSON media type with 415', async () => {
    const response = await post(
      '/v1/auth/login',
      'username=abc&password=x',
      'application/x-www-form-urlencoded',
    );
    expect(response.statusCode).toBe(415);
    expect(errorCode(response)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses __proto__ keys (prototype poisoning) with 400', async () => {
    const response = await post(
      '/v1/auth/register',
      '{"username": "proto_user", "password": "long enough pw", "__proto__": {"admin": true}}',
    );
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('VALIDATION_FAILED');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('validates path and query parameters', async () => {
    const { tokens } = await signUp(app);
    const notUuid = await app.inject({ url: '/v1/users/not-a-uuid', headers: bearer(tokens.accessToken) });
    expect(notUuid.statusCode).toBe(400);
    const badQuery = await app.inject({ url: '/v1/users?query=a%20b', headers: bearer(tokens.accessToken) });
    expect(badQuery.statusCode).toBe(400);
    const noQuery = await app.inject({ url: '/v1/users', headers: bearer(tokens.accessToken) });
    expect(noQuery.statusCode).toBe(400);
    const badLimit = await app.inject({
      url: '/v1/users?query=ab&limit=1000',
      headers: bearer(tokens.accessToken),
    });
    expect(badLimit.statusCode).toBe(400);
  });

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    const response = await app.inject({ url: '/v1/auth/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('NOT_FOUND');
  });
});
