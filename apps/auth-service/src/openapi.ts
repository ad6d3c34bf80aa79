import { silentLogger } from '@im/logger';
import { build, createComponents, settingsFromEnv } from './app.js';
import { SealingKey } from './domain/sealing.js';
import type { AuthEnv } from './env.js';
import { AuthEnv as AuthEnvSchema } from './env.js';
import { connectStore } from './repositories/connect.js';

/** Where the generated document is committed. */
export const OPENAPI_PATH = new URL('../../../docs/openapi/auth-service.json', import.meta.url).pathname;

/**
 * The OpenAPI document as the app serves it at /docs/json, rendered without
 * any I/O: the app is built with its background work off and a database
 * client that never connects.
 */
export async function renderOpenApi(): Promise<string> {
  const env: AuthEnv = AuthEnvSchema.parse({
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/none',
    AMQP_URL: 'amqp://127.0.0.1:1',
    SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    // Served only with a token; set here so the document lists the internal routes.
    INTERNAL_TOKEN: 'openapi-renderer-placeholder',
  });
  const logger = silentLogger();
  const store = connectStore({ url: env.DATABASE_URL });
  const components = createComponents({
    store,
    settings: settingsFromEnv(env),
    sealingKey: new SealingKey(new Uint8Array(32)),
    publish: async () => {
      throw new Error('the OpenAPI renderer publishes nothing');
    },
    logger,
  });
  const app = await build({ components, logger, background: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await store.close();
  }
}
