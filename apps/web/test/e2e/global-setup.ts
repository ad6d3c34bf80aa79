import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createEmptyDatabase,
  type EmptyDatabase,
  freePort,
  type RunningProcess,
  startProcess,
  tsxCommand,
} from '@im/testkit';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const webRoot = new URL('../..', import.meta.url).pathname;
const standaloneMain = new URL('../../../standalone/src/main.ts', import.meta.url).pathname;

declare module 'vitest' {
  export interface ProvidedContext {
    /** Origin of the standalone system serving the built web app, e.g. http://127.0.0.1:43210. */
    baseUrl: string;
  }
}

/**
 * A production build of the app for this run, in its own folder: the tests
 * see exactly the current sources, and never race a `build` writing dist/.
 */
async function buildApp(outDir: string): Promise<void> {
  // A child process: vitest sets NODE_ENV=test, which would give a development build of React.
  const vite = join(createRequire(import.meta.url).resolve('vite/package.json'), '../bin/vite.js');
  await run(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: webRoot,
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/**
 * Starts the whole system once for the end-to-end files: the standalone
 * process (every service in one process, in-process broker) on a free port,
 * on a fresh database of the machine's PostgreSQL, serving the built app.
 * Each test makes its own users, so files share it safely. With
 * IM_E2E_BASE_URL set, the tests run against that system instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.IM_E2E_BASE_URL;
  if (external) {
    // A system someone already runs (docker compose, a staging box) that serves its own build.
    project.provide('baseUrl', external.replace(/\/$/, ''));
    return async () => undefined;
  }
  const webDist = join(webRoot, 'test-results/dist');
  await buildApp(webDist);
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'im-web-e2e-'));
  let database: EmptyDatabase | undefined;
  let server: RunningProcess | undefined;
  try {
    database = await createEmptyDatabase('im_web_e2e');
    const { command, args } = tsxCommand(standaloneMain);
    server = await startProcess({
      name: 'standalone',
      command,
      args,
      cwd: join(webRoot, '../..'),
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        AMQP_URL: undefined,
        WEB_DIST: webDist,
        // Short-lived access tokens, so every test also goes through token refreshes.
        ACCESS_TOKEN_TTL: '45s',
        LOG_LEVEL: 'warn',
      },
      readyUrl: `http://127.0.0.1:${port}/`,
      timeoutMs: 120_000,
    });
  } catch (error) {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  project.provide('baseUrl', `http://127.0.0.1:${port}`);
  return async () => {
    const code = await server?.stop('SIGTERM', 15_000);
    if (code !== 0 && code !== 'SIGTERM')
      console.warn(`standalone exited with ${code}:\n${server?.output().slice(-4000)}`);
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
