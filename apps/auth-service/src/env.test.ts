import { parseEnv } from '@im/config';
import { describe, expect, it } from 'vitest';
import { AuthEnv, parseDuration } from './env.js';

const required = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/auth',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('AuthEnv', () => {
  it('parses durations with units; a bare number is seconds', () => {
    expect(parseDuration('900')).toBe(900_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('1.5h')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('has production defaults: 15-minute access tokens, 30-day refresh tokens, rate limits on', () => {
    const env = parseEnv('auth-service', AuthEnv, required);
    expect(env.ACCESS_TOKEN_TTL).toBe(15 * 60_000);
    expect(env.REFRESH_TOKEN_TTL).toBe(30 * 86_400_000);
    expect(env.RATE_LIMIT_LOGIN_USERNAME).toEqual({ limit: 10, windowMs: 5 * 60_000 });
    expect(env.TRUST_PROXY).toBe(false);
  });

  it('reads rate limits as <count>/<duration>', () => {
    const env = parseEnv('auth-service', AuthEnv, { ...required, RATE_LIMIT_LOGIN_IP: '3/10s' });
    expect(env.RATE_LIMIT_LOGIN_IP).toEqual({ limit: 3, windowMs: 10_000 });
  });

  it('names every bad variable', () => {
    expect(() =>
      parseEnv('auth-service', AuthEnv, {
        ...required,
        ACCESS_TOKEN_TTL: 'forever',
        RATE_LIMIT_LOGIN_IP: 'lots',
        SIGNING_KEY_ENCRYPTION_KEY: 'short',
      }),
    ).toThrow(/ACCESS_TOKEN_TTL[\s\S]*RATE_LIMIT_LOGIN_IP|RATE_LIMIT_LOGIN_IP[\s\S]*ACCESS_TOKEN_TTL/);
    expect(() =>
      parseEnv('auth-service', AuthEnv, { ...required, SIGNING_KEY_ENCRYPTION_KEY: undefined }),
    ).toThrow(/SIGNING_KEY_ENCRYPTION_KEY/);
  });
});
