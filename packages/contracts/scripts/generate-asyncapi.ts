import { writeFileSync } from 'node:fs';
import { renderAsyncApi } from '../src/asyncapi.js';
import { ASYNCAPI_PATH, CONTRACTS_VERSION } from '../src/docs-paths.js';

writeFileSync(ASYNCAPI_PATH, renderAsyncApi(CONTRACTS_VERSION));
console.log(`wrote ${ASYNCAPI_PATH}`);
