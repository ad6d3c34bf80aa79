import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  errorCode,
  register,
  signUp,
  type TestApp,
} from './harness.js';

describe('user lookup', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  let token: string;
  beforeAll(async () => {
    env = await authTestEnvironment('users');
    ({ app } = await env.startApp());
    ({
      tokens: { accessToken: token },
    } = await signUp(app));
  });
  afterAll(() => env?.close());

  const get = (url: string) => app.inject({ url, headers: bearer(token) });

  it('GET /v1/users/:id returns the public profile, 404 for nobody', async () => {
    const carol = await register(app, 'Carol_lookup');
    const response = await get(`/v1/users/${carol.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: carol.id, username: 'Carol_lookup' });
    expect(response.body).not.toMatch(/password|argon/i);

    const missing = await get('/v1/users/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('NOT_FOUND');
  });

  it('GET /v1/users?query= finds usernames by prefix, case-insensitively, in order, up to the limit', async () => {
    for (const name of ['Dora.b', 'dora.a', 'DORA.c', 'dorothy', 'edward']) await register(app, name);
    const response = await get('/v1/users?query=DoRa.');
    expect(response.statusCode).toBe(200);
    expect(response.json().users.map((u: { username: string }) => u.username)).toEqual([
      'dora.a',
      'Dora.b',
      'DORA.c',
    ]);
    const limited = await get('/v1/users?query=dor&limit=2');
    expect(limited.json().users).toHaveLength(2);
    expect((await get('/v1/users?query=zzzz')).json()).toEqual({ users: [] });
  });

  it('treats _ in a query literally, not as a LIKE wildcard', async () => {
    await register(app, 'under_score');
    await register(app, 'underXscore');
    const response = await get('/v1/users?query=under_');
    expect(response.json().users.map((u: { username: string }) => u.username)).toEqual(['under_score']);
  });
});
