import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError, ExitCode } from '../cli/errors.js';
import type { Env } from '../ui/color.js';

/**
 * Where `im` keeps what it must remember between runs: per server, the
 * session's tokens and this device's private keys. The directory is 0700 and
 * the file 0600; writes go through a temporary file and a rename (never a
 * half-written file) under a lock file, because several `im` processes (a
 * chat, a tail) share one session and must not race on its refresh token.
 */

const SerializedIdentity = z.object({
  userId: z.string(),
  keyVersion: z.number().int().positive(),
  x25519SecretKey: z.string(),
  ed25519SecretKey: z.string(),
});

/** A contact's public keys as first seen (trust on first use). */
const KnownKey = z.object({ keyVersion: z.number().int(), x25519: z.string(), ed25519: z.string() });
export type KnownKey = z.infer<typeof KnownKey>;

export const Account = z.object({
  server: z.string(),
  userId: z.string(),
  username: z.string(),
  sessionId: z.string(),
  deviceName: z.string(),
  accessToken: z.string(),
  /** Epoch milliseconds. */
  accessTokenExpiresAt: z.number(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.number(),
  /** This user's private keys, every key version restored (the last is the current one). */
  keyring: z.array(SerializedIdentity).min(1),
  /** The keys seen for each contact (trust on first use): a change is announced. */
  knownKeys: z.record(z.string(), KnownKey).default({}),
  /** Usernames seen, by user id. */
  usernames: z.record(z.string(), z.string()).default({}),
});
export type Account = z.infer<typeof Account>;

const CredentialsFile = z.object({
  version: z.literal(1),
  /** The server of the last login: used when neither --server nor IM_SERVER is given. */
  current: z.string().nullable(),
  accounts: z.record(z.string(), Account),
});
export type CredentialsFile = z.infer<typeof CredentialsFile>;

const emptyFile = (): CredentialsFile => ({ version: 1, current: null, accounts: {} });

export function configDir(env: Env): string {
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'im');
}

export interface StoreOptions {
  /** Give up waiting for another process's lock after this long (default 10 s). */
  lockTimeoutMs?: number;
  /** A lock file older than this is left over from a crashed process (default 30 s). */
  staleLockMs?: number;
}

export class CredentialStore {
  readonly dir: string;
  readonly file: string;
  readonly #lockFile: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;

  constructor(dir: string, options: StoreOptions = {}) {
    this.dir = dir;
    this.file = join(dir, 'credentials.json');
    this.#lockFile = join(dir, 'credentials.lock');
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
  }

  async read(): Promise<CredentialsFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return emptyFile();
      throw new CliError(`cannot read ${this.file}: ${errorMessage(error)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw damaged(this.file, errorMessage(error));
    }
    const parsed = CredentialsFile.safeParse(json);
    if (!parsed.success) throw damaged(this.file, parsed.error.issues[0]?.message ?? 'unexpected content');
    return parsed.data;
  }

  async account(server: string): Promise<Account | undefined> {
    return (await this.read()).accounts[server];
  }

  /**
   * Reads the file, lets `change` modify it, and writes it back, all under the
   * lock: concurrent `im` processes see each other's changes.
   */
  async update<T>(change: (file: CredentialsFile) => T | Promise<T>): Promise<T> {
    return this.withLock(async () => {
      const file = await this.read();
      const result = await change(file);
      await this.#write(file);
      return result;
    });
  }

  /** Runs `work` while holding the lock file. */
  async withLock<T>(work: () => Promise<T>): Promise<T> {
    await this.#ensureDir();
    const release = await this.#acquire();
    try {
      return await work();
    } finally {
      await release();
    }
  }

  async #ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const info = await stat(this.dir);
    // A directory created by something else with a looser mode: it holds secrets, tighten it.
    if ((info.mode & 0o077) !== 0) await chmod(this.dir, 0o700);
  }

  async #write(file: CredentialsFile): Promise<void> {
    const temporary = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(temporary, 0o600);
      await rename(temporary, this.file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new CliError(`cannot write ${this.file}: ${errorMessage(error)}`);
    }
  }

  async #acquire(): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.#lockTimeoutMs;
    const token = `${process.pid} ${randomUUID()}`;
    for (;;) {
      try {
        const handle = await open(this.#lockFile, 'wx', 0o600);
        await handle.writeFile(token);
        await handle.close();
        return async () => {
          // Remove the lock only if it is still ours (a stale-lock breaker may have replaced it).
          const current = await readFile(this.#lockFile, 'utf8').catch(() => '');
          if (current === token) await rm(this.#lockFile, { force: true });
        };
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) {
          throw new CliError(`cannot lock ${this.#lockFile}: ${errorMessage(error)}`);
        }
      }
      if (await this.#lockIsStale()) {
        await rm(this.#lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new CliError(`${this.#lockFile} is held by another im process`, {
          hint: `if no other im is running, delete ${this.#lockFile}`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
    }
  }

  /** A lock whose process is gone, or that is older than any update takes. */
  async #lockIsStale(): Promise<boolean> {
    try {
      const [content, info] = await Promise.all([readFile(this.#lockFile, 'utf8'), stat(this.#lockFile)]);
      if (Date.now() - info.mtimeMs > this.#staleLockMs) return true;
      const pid = Number(content.split(' ')[0]);
      return Number.isInteger(pid) && pid > 0 && !processExists(pid);
    } catch (error) {
      // Gone between our attempt and this check: not stale, just free now.
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return isErrno(error, 'EPERM');
  }
}

function damaged(file: string, why: string): CliError {
  return new CliError(`${file} is damaged (${why})`, {
    exitCode: ExitCode.noAuth,
    hint: `delete it and run \`im login\` again`,
  });
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
