import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@im/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertSchemaMatchesDatabase,
  type EmbeddedPostgres,
  migrate,
  startEmbeddedPostgres,
} from '../src/index.js';
import { FIXTURE_MIGRATIONS, FIXTURE_SCHEMA, sql } from './helpers.js';

const MODULE = fileURLToPath(new URL('../src/embedded.ts', import.meta.url));

/** Starts the server from a child process and kills that process with SIGKILL: a crash that leaves the server running. */
async function crashWhileRunning(dataDir: string): Promise<{ url: string; serverPid: number }> {
  const script = `
    import { startEmbeddedPostgres } from ${JSON.stringify(MODULE)};
    const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
    console.log(JSON.stringify({ url: pg.url }));
    setInterval(() => {}, 60_000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  for await (const chunk of child.stdout) {
    output += String(chunk);
    if (output.includes('\n')) break;
  }
  const { url } = JSON.parse(output) as { url: string };
  child.kill('SIGKILL');
  await once(child, 'exit');
  const serverPid = Number.parseInt(
    (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '',
    10,
  );
  return { url, serverPid };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('startEmbeddedPostgres', () => {
  const running: EmbeddedPostgres[] = [];
  afterAll(async () => {
    for (const server of running) await server.stop();
  });

  it('initialises once, reuses its data, recovers from a crash and refuses a second owner', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'im-db-embedded-'));
    await chmod(parent, 0o755); // as root the server runs as the postgres user, which must reach the folder
    const dataDir = join(parent, 'pgdata');

    const first = await startEmbeddedPostgres({ dataDir });
    running.push(first);
    expect(
      await sql(first.url, "SELECT current_setting('server_version_num')::int >= 150000 AS recent"),
    ).toEqual([{ recent: true }]);
    // The standalone path: the same migrations and schema check on the embedded server.
    await migrate({ url: first.url, migrationsDir: FIXTURE_MIGRATIONS, schema: 'chat' });
    await assertSchemaMatchesDatabase({ schemaPath: FIXTURE_SCHEMA, url: first.url, schema: 'chat' });
    await sql(
      first.url,
      `INSERT INTO chat."User" (id, email, "displayName") VALUES (gen_random_uuid(), 'kept@example.org', 'Kept')`,
    );

    const second = await startEmbeddedPostgres({ dataDir }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(second).toBeInstanceOf(AppError);
    expect((second as AppError).message).toContain('already running');
    await first.stop();

    const crashed = await crashWhileRunning(dataDir);
    expect(alive(crashed.serverPid)).toBe(true);
    expect(await sql(crashed.url, 'SELECT email FROM chat."User"')).toEqual([{ email: 'kept@example.org' }]);

    const recovered = await startEmbeddedPostgres({ dataDir });
    running.push(recovered);
    expect(alive(crashed.serverPid)).toBe(false);
    expect(await sql(recovered.url, 'SELECT email FROM chat."User"')).toEqual([
      { email: 'kept@example.org' },
    ]);
    await recovered.stop();

    // A postmaster.pid naming a process that is long gone.
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeFile(join(dataDir, 'postmaster.pid'), `${gone.pid}\n${dataDir}\n`);
    const afterStale = await startEmbeddedPostgres({ dataDir });
    running.push(afterStale);
    expect(await sql(afterStale.url, 'SELECT count(*)::int AS n FROM chat."User"')).toEqual([{ n: 1 }]);
    await afterStale.stop();
    await expect(readFile(join(dataDir, 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
  }, 180_000);
});
