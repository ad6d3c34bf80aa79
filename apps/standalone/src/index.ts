export { StandaloneEnv } from './env.js';
export { type Standalone, type StandaloneOptions, startStandalone } from './standalone.js';
