import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envs, parseEnv, redactConfig } from './index.js';

const Schema = z.object({
  PORT: envs.port(8080),
  DATABASE_URL: envs.url,
  DEBUG: envs.boolean(false),
  ORIGINS: envs.list(['http://localhost:8080']),
});

describe('parseEnv', () => {
  it('coerces values and applies defaults, treating empty as unset', () => {
    const env = parseEnv('svc', Schema, { DATABASE_URL: 'postgres://u:p@h/db', PORT: '', DEBUG: 'yes' });
    expect(env).toEqual({
      PORT: 8080,
      DATABASE_URL: 'postgres://u:p@h/db',
      DEBUG: true,
      ORIGINS: ['http://localhost:8080'],
    });
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      parseEnv('svc', Schema, { PORT: 'eighty', DEBUG: 'maybe' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['DATABASE_URL', 'DEBUG', 'PORT']);
    expect(error.message).toContain('svc: invalid configuration');
  });
});

describe('redactConfig', () => {
  it('masks secrets and URL passwords', () => {
    expect(
      redactConfig({ JWT_PRIVATE_KEY: 'abc', DATABASE_URL: 'postgres://me:hunter2@db/x', PORT: 1 }),
    ).toEqual({ JWT_PRIVATE_KEY: '[redacted]', DATABASE_URL: 'postgres://me:redacted@db/x', PORT: 1 });
  });
});
