/**
 * `pnpm --filter @im/auth-service keys:rotate [--activate-in=<duration>]`
 *
 * Adds a new signing key. It is published in the JWKS at once and signs from
 * `--activate-in` on (default: two SIGNING_KEY_REFRESH intervals, so every
 * running copy lists it before any copy signs with it). Keys that no live
 * token can name any more are deleted.
 */
import { parseArgs } from 'node:util';
import { parseEnv } from '@im/config';
import { createLogger } from '@im/logger';
import { SERVICE_NAME, SERVICE_VERSION } from '../app.js';
import { systemClock } from '../domain/clock.js';
import { parseSealingKey } from '../domain/sealing.js';
import { SigningKeyRing } from '../domain/signing-keys.js';
import { AuthEnv, parseDuration } from '../env.js';
import { connectStore } from '../repositories/connect.js';

const env = parseEnv(
  `${SERVICE_NAME} keys:rotate`,
  AuthEnv.pick({
    DATABASE_URL: true,
    DATABASE_SCHEMA: true,
    SIGNING_KEY_ENCRYPTION_KEY: true,
    SIGNING_KEY_REFRESH: true,
    ACCESS_TOKEN_TTL: true,
    LOG_LEVEL: true,
  }),
);
const { values } = parseArgs({ options: { 'activate-in': { type: 'string' } } });
const activateIn = values['activate-in'] === undefined ? undefined : parseDuration(values['activate-in']);
if (values['activate-in'] !== undefined && activateIn === undefined) {
  console.error('keys:rotate: --activate-in takes a duration such as 0s, 2m or 1h');
  process.exit(2);
}

const logger = createLogger({
  service: `${SERVICE_NAME}-keys`,
  version: SERVICE_VERSION,
  level: env.LOG_LEVEL,
});
const store = connectStore({ url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA, logger });
try {
  const ring = new SigningKeyRing({
    repository: store.signingKeys,
    sealingKey: parseSealingKey(env.SIGNING_KEY_ENCRYPTION_KEY),
    clock: systemClock,
    logger,
    accessTokenTtlMs: env.ACCESS_TOKEN_TTL,
    refreshIntervalMs: env.SIGNING_KEY_REFRESH,
  });
  const result = await ring.rotate(activateIn);
  console.log(JSON.stringify({ kid: result.kid, activatesAt: result.activatesAt, deleted: result.deleted }));
} finally {
  await store.close();
}
