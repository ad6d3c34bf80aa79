/**
 * `pnpm --filter @im/auth-service openapi [--check]`
 *
 * Writes the OpenAPI document of the app itself (its zod schemas) to
 * docs/openapi/auth-service.json. With --check, writes nothing and exits 1
 * when the committed file differs.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { OPENAPI_PATH, renderOpenApi } from '../openapi.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const rendered = await renderOpenApi();
if (values.check) {
  const committed = await readFile(OPENAPI_PATH, 'utf8').catch(() => '');
  if (committed !== rendered) {
    console.error(`${OPENAPI_PATH} is stale: run pnpm --filter @im/auth-service openapi`);
    process.exit(1);
  }
  console.log(`${OPENAPI_PATH} is up to date`);
} else {
  await mkdir(dirname(OPENAPI_PATH), { recursive: true });
  await writeFile(OPENAPI_PATH, rendered);
  console.log(`wrote ${OPENAPI_PATH}`);
}
