#!/usr/bin/env node
// `prisma generate` for a service (its `db:generate` script), usable where
// Prisma's schema engine cannot be downloaded.
//
// The Prisma CLI insists on having its native schema engine before it runs any
// command, although `generate` never executes it (and the generated
// `prisma-client` needs no engine at run time). Where the engine is installed,
// or its download host answers, this runs the real `prisma generate` untouched.
// Only where the engine is absent and cannot be fetched does it point
// PRISMA_SCHEMA_ENGINE_BINARY at a placeholder file, saying so in one log line.
//
// Usage: im-prisma-generate [any `prisma generate` arguments]   (run in the service folder)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PLACEHOLDER = fileURLToPath(new URL('./schema-engine.placeholder', import.meta.url));
const DOWNLOAD_ERROR =
  /binaries\.prisma\.sh|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|Failed to fetch|download/i;

/** The Prisma CLI's package folder: the service's own first, else the one @im/db brings. */
function prismaPackageDir() {
  for (const base of [join(process.cwd(), 'package.json'), fileURLToPath(import.meta.url)]) {
    try {
      return dirname(createRequire(base).resolve('prisma/package.json'));
    } catch (err) {
      if (err?.code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  throw new Error('prisma (the CLI) is not installed; add it to the service devDependencies');
}

/** Whether a schema engine binary is already where the CLI looks for one. */
function engineInstalled(prismaDir) {
  if (process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.env.PRISMA_MIGRATION_ENGINE_BINARY) return true;
  const folders = [prismaDir];
  try {
    folders.push(
      dirname(createRequire(join(prismaDir, 'package.json')).resolve('@prisma/engines/package.json')),
    );
  } catch (err) {
    if (err?.code !== 'MODULE_NOT_FOUND') throw err;
  }
  return folders.some(
    (folder) => existsSync(folder) && readdirSync(folder).some((name) => name.startsWith('schema-engine-')),
  );
}

/** Whether the engine download host answers at all (any HTTP status counts). */
async function downloadHostReachable() {
  const mirror = process.env.PRISMA_ENGINES_MIRROR ?? 'https://binaries.prisma.sh';
  try {
    await fetch(mirror, { method: 'HEAD', signal: AbortSignal.timeout(3000) });
    return true;
  } catch (err) {
    return { reason: err?.cause?.code ?? err?.name ?? String(err), mirror };
  }
}

function runGenerate(prismaDir, env) {
  const result = spawnSync(
    process.execPath,
    [join(prismaDir, 'build/index.js'), 'generate', ...process.argv.slice(2)],
    {
      env,
      encoding: 'utf8',
      stdio: ['inherit', 'pipe', 'pipe'],
    },
  );
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function withPlaceholder(reason) {
  process.stderr.write(
    `[im-prisma-generate] Prisma schema engine unavailable (${reason}); generating with PRISMA_SCHEMA_ENGINE_BINARY=${PLACEHOLDER} (generate does not run the engine)\n`,
  );
  return { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: PLACEHOLDER };
}

const prismaDir = prismaPackageDir();
let env = process.env;
if (!engineInstalled(prismaDir)) {
  const reachable = await downloadHostReachable();
  if (reachable !== true)
    env = withPlaceholder(`not in @prisma/engines, ${reachable.mirror} unreachable: ${reachable.reason}`);
}
let result = runGenerate(prismaDir, env);
if (
  result.status !== 0 &&
  env === process.env &&
  !engineInstalled(prismaDir) &&
  DOWNLOAD_ERROR.test(result.stderr)
) {
  env = withPlaceholder('not in @prisma/engines, and its download failed');
  result = runGenerate(prismaDir, env);
}
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.status;
