import { readFileSync } from 'node:fs';

export const SERVICE_NAME = 'message-service';

/** The package version, reported in logs, /docs and metrics. */
export const SERVICE_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
