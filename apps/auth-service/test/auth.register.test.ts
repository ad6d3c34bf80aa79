import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  errorCode,
  PASSWORD,
  type TestApp,
  uniqueName,
} from './harness.js';

describe('POST /v1/auth/register', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  let store: TestApp['store'];
  beforeAll(async () => {
    env = await authTestEnvironment('register');
    ({ app, store } = await env.startApp());
  });
  afterAll(() => env?.close());

  const registerAs = (username: unknown, password: unknown = PASSWORD) =>
    app.inject({ method: 'POST', url: '/v1/auth/register', payload: { username, password } });

  it('creates the account, answers 201 with the public user, and publishes user.registered.v1', async () => {
    const username = uniqueName('Ann');
    const response = await registerAs(username);
    expect(response.statusCode).toBe(201);
    const { user } = response.json();
    expect(user).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), username });

    const event = await env.waitForEvent('user.registered.v1', (data) => data.userId === user.id);
    expect(event.data.username).toBe(username);
  });

  it('stores only an argon2id hash with OWASP parameters, never the password', async () => {
    const username = uniqueName();
    const { user } = (await registerAs(username)).json();
    const stored = await store.users.findById(user.id);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored?.passwordHash).not.toContain(PASSWORD);
  });

  it('refuses usernames differing only in case with 409 AUTH_USERNAME_TAKEN', async () => {
    const base = uniqueName('Case');
    expect((await registerAs(base)).statusCode).toBe(201);
    for (const variant of [base.toLowerCase(), base.toUpperCase()]) {
      const response = await registerAs(variant);
      expect(response.statusCode).toBe(409);
      expect(errorCode(response)).toBe('AUTH_USERNAME_TAKEN');
    }
  });

  it('lets exactly one of two concurrent registrations of one name win', async () => {
    const name = uniqueName('race');
    const responses = await Promise.all([registerAs(name), registerAs(name.toUpperCase())]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(33)],
    ['a space', 'with space'],
    ['a non-ASCII letter', 'jürgen'],
    ['a slash', 'a/b'],
    ['not a string', 42],
  ])('refuses a username with %s (400 VALIDATION_FAILED naming the field)', async (_label, username) => {
    const response = await registerAs(username);
    expect(response.statusCode).toBe(400);
    expect(errorCode(response)).toBe('VALIDATION_FAILED');
    expect(response.json().error.details.map((d: { path: string }) => d.path)).toContain('/username');
  });

  it('accepts passwords from 8 characters to 1024 bytes, counted in UTF-8 bytes', async () => {
    expect((await registerAs(uniqueName(), 'x'.repeat(7))).statusCode).toBe(400);
    expect((await registerAs(uniqueName(), 'x'.repeat(8))).statusCode).toBe(201);
    expect((await registerAs(uniqueName(), 'x'.repeat(1024))).statusCode).toBe(201);
    expect((await registerAs(uniqueName(), 'x'.repeat(1025))).statusCode).toBe(400);
    // 342 euro signs are 342 characters but 1026 bytes.
    const euros = await registerAs(uniqueName(), '€'.repeat(342));
    expect(euros.statusCode).toBe(400);
    expect(euros.json().error.details[0]).toEqual({ path: '/password', message: 'use at most 1024 bytes' });
  });
});
