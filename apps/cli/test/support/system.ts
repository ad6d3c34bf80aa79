import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmptyDatabase, freePort, type RunningProcess, startProcess, tsxCommand } from '@im/testkit';

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const standaloneMain = join(repoRoot, 'apps/standalone/src/main.ts');

/** The whole system (apps/standalone) running as a child process on a free port and its own database. */
export interface System {
  readonly url: string;
  readonly port: number;
  /** Stops the process (the database stays: `start()` brings the same system back on the same port). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the process and drops the database. */
  destroy(): Promise<void>;
  output(): string;
}

export async function startSystem(): Promise<System> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'im-cli-e2e-'));
  const database = await createEmptyDatabase('im_cli_e2e');
  const url = `http://127.0.0.1:${port}`;
  let running: RunningProcess | undefined;
  let log = '';

  const start = async () => {
    const { command, args } = tsxCommand(standaloneMain);
    running = await startProcess({
      name: 'standalone',
      command,
      args,
      cwd: repoRoot,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        AMQP_URL: undefined,
        LOG_LEVEL: 'warn',
      },
      readyUrl: `${url}/readyz`,
      timeoutMs: 120_000,
    });
  };
  const stop = async () => {
    if (!running) return;
    const process = running;
    running = undefined;
    await process.stop('SIGTERM', 15_000);
    log += process.output();
  };

  try {
    await start();
  } catch (error) {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    start,
    stop,
    async destroy() {
      await stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
    output: () => log + (running?.output() ?? ''),
  };
}
