import { readFileSync } from 'node:fs';

/** Where the generated AsyncAPI document is committed. */
export const ASYNCAPI_PATH = new URL('../../../docs/asyncapi.yaml', import.meta.url).pathname;

export const CONTRACTS_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
