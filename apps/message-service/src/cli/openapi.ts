/**
 * `pnpm --filter @im/message-service openapi [--check]`
 *
 * Writes the OpenAPI document generated from the routes' zod schemas to
 * docs/openapi/message-service.json. With --check, writes nothing and exits 1
 * when the committed file is stale.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { renderOpenApi } from '../openapi.js';
import { OPENAPI_PATH } from '../paths.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const rendered = await renderOpenApi();
if (values.check) {
  const committed = await readFile(OPENAPI_PATH, 'utf8').catch(() => '');
  if (committed !== rendered) {
    console.error(`${OPENAPI_PATH} is stale: run pnpm --filter @im/message-service openapi`);
    process.exitCode = 1;
  } else {
    console.log(`${OPENAPI_PATH} is up to date`);
  }
} else {
  await mkdir(dirname(OPENAPI_PATH), { recursive: true });
  await writeFile(OPENAPI_PATH, rendered);
  console.log(`wrote ${OPENAPI_PATH}`);
}
