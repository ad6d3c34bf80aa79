import { createVerifier } from '@im/auth-client';
import { pgAdapter } from '@im/db';
import { silentLogger } from '@im/logger';
import { build } from './app.js';
import { createPrismaStore } from './repositories/prisma-store.js';

/**
 * The OpenAPI document exactly as the app serves it at /docs/json, rendered
 * without I/O: the app is built on a database client that never connects (no
 * route runs) and a verifier with an empty key set.
 */
export async function renderOpenApi(): Promise<string> {
  const logger = silentLogger();
  const store = createPrismaStore({
    adapter: pgAdapter({ url: 'postgres://openapi@127.0.0.1:1/none', schema: 'messaging' }),
    logger,
  });
  const app = await build({
    logger,
    store,
    verifier: createVerifier({ jwks: { keys: [] }, issuer: 'openapi', audience: 'openapi' }),
    internalToken: 'openapi-renderer-token',
  });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await store.close();
  }
}
