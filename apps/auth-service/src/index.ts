/** The auth service as a library: what the standalone mode composes in one process. */
export {
  type AuthAppOptions,
  type AuthComponents,
  type AuthSettings,
  build,
  type ComponentOptions,
  createComponents,
  SERVICE_NAME,
  SERVICE_VERSION,
  settingsFromEnv,
} from './app.js';
export { parseSealingKey, SealingKey } from './domain/sealing.js';
export { AuthEnv, parseDuration } from './env.js';
export { brokerPublisher, connectBroker } from './events-broker.js';
export { MIGRATIONS_DIR } from './paths.js';
export { connectStore, type StoreConnectOptions } from './repositories/connect.js';
export type { Store } from './repositories/store.js';
