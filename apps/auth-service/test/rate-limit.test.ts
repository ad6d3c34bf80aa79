import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthSettings } from '../src/app.js';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  errorCode,
  PASSWORD,
  register,
  type TestApp,
  uniqueName,
} from './harness.js';

const minute = 60_000;
const LIMITS: AuthSettings['rateLimits'] = {
  registerPerIp: { limit: 3, windowMs: minute },
  registerPerUsername: { limit: 100, windowMs: minute },
  loginPerIp: { limit: 6, windowMs: minute },
  loginPerUsername: { limit: 3, windowMs: minute },
  refreshPerIp: { limit: 2, windowMs: minute },
  refreshPerUser: { limit: 100, windowMs: minute },
};

let ipCounter = 0;
/** A fresh client address per test, so counters of different tests never meet. */
const freshIp = () => `198.51.100.${++ipCounter}`;

describe('rate limits (Postgres counters shared by every copy)', () => {
  let env: AuthTestEnvironment;
  let first: TestApp['app'];
  let second: TestApp['app'];
  let proxied: TestApp['app'];
  beforeAll(async () => {
    env = await authTestEnvironment('rate-limit');
    ({ app: first } = await env.startApp({ settings: { rateLimits: LIMITS } }));
    ({ app: second } = await env.startApp({ settings: { rateLimits: LIMITS } }));
    ({ app: proxied } = await env.startApp({ settings: { rateLimits: LIMITS, trustProxy: true } }));
  });
  afterAll(() => env?.close());

  /** Registers without counting against the limited apps' per-IP register budget of the tests. */
  const newUser = async () => {
    const { app } = await env.startApp();
    return register(app, uniqueName());
  };

  const loginFrom = (app: TestApp['app'], ip: string, username: string, password: string, headers = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: ip,
      headers,
      payload: { username, password },
    });

  it('stops brute force on one username with 429 and Retry-After, even from many addresses', async () => {
    const user = await newUser();
    for (let i = 0; i < LIMITS.loginPerUsername.limit; i += 1) {
      const response = await loginFrom(first, freshIp(), user.username, `guess-${i}-wrong`);
      expect(response.statusCode).toBe(401);
    }
    const blocked = await loginFrom(first, freshIp(), user.username, 'guess-again');
    expect(blocked.statusCode).toBe(429);
    expect(errorCode(blocked)).toBe('RATE_LIMITED');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual((2 * LIMITS.loginPerUsername.windowMs) / 1000);

    // The right password does not get through either while the limit holds, and the username's case does not matter.
    const right = await loginFrom(first, freshIp(), user.username.toUpperCase(), PASSWORD);
    expect(right.statusCode).toBe(429);
  });

  it('limits one address across usernames', async () => {
    const ip = freshIp();
    for (let i = 0; i < LIMITS.loginPerIp.limit; i += 1) {
      expect((await loginFrom(first, ip, uniqueName('nobody'), 'whatever-1')).statusCode).toBe(401);
    }
    expect((await loginFrom(first, ip, uniqueName('nobody'), 'whatever-1')).statusCode).toBe(429);
    expect((await loginFrom(first, freshIp(), uniqueName('nobody'), 'whatever-1')).statusCode).toBe(401);
  });

  it('holds across copies of the service: the counter is shared', async () => {
    const user = await newUser();
    const statuses: number[] = [];
    for (let i = 0; i < LIMITS.loginPerUsername.limit + 2; i += 1) {
      const app = i % 2 === 0 ? first : second;
      statuses.push((await loginFrom(app, freshIp(), user.username, 'wrong-password')).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('counts concurrent attempts exactly', async () => {
    const user = await newUser();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        loginFrom(i % 2 === 0 ? first : second, freshIp(), user.username, 'wrong-password'),
      ),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMITS.loginPerUsername.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8 - LIMITS.loginPerUsername.limit);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    const ip = freshIp();
    for (let i = 0; i < LIMITS.loginPerIp.limit; i += 1) {
      await loginFrom(first, ip, uniqueName('nobody'), 'whatever-1', { 'x-forwarded-for': `203.0.113.${i}` });
    }
    const spoofed = await loginFrom(first, ip, uniqueName('nobody'), 'whatever-1', {
      'x-forwarded-for': '203.0.113.200',
    });
    expect(spoofed.statusCode).toBe(429);

    // Behind a trusted proxy every client has its own budget although all come from the proxy's address.
    const proxy = freshIp();
    for (let i = 0; i < LIMITS.loginPerIp.limit + 2; i += 1) {
      const response = await loginFrom(proxied, proxy, uniqueName('nobody'), 'whatever-1', {
        'x-forwarded-for': `203.0.113.${100 + i}`,
      });
      expect(response.statusCode).toBe(401);
    }
  });

  it('limits registrations per address', async () => {
    const ip = freshIp();
    const attempt = () =>
      first.inject({
        method: 'POST',
        url: '/v1/auth/register',
        remoteAddress: ip,
        payload: { username: uniqueName(), password: PASSWORD },
      });
    for (let i = 0; i < LIMITS.registerPerIp.limit; i += 1) expect((await attempt()).statusCode).toBe(201);
    const blocked = await attempt();
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
  });

  it('limits refreshes per address', async () => {
    const ip = freshIp();
    const attempt = () =>
      first.inject({
        method: 'POST',
        url: '/v1/auth/refresh',
        remoteAddress: ip,
        payload: { refreshToken: 'B'.repeat(43) },
      });
    for (let i = 0; i < LIMITS.refreshPerIp.limit; i += 1) expect((await attempt()).statusCode).toBe(401);
    expect((await attempt()).statusCode).toBe(429);
  });
});
