import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const imBin = new URL('../../bin/im.mjs', import.meta.url).pathname;

export interface ImResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * One person at a terminal: their own config directory (credentials), the
 * server they talk to, and a way to run `im` as a child process.
 */
export class User {
  readonly name: string;
  readonly home: string;
  readonly server: string;
  readonly password: string;

  private constructor(name: string, home: string, server: string) {
    this.name = name;
    this.home = home;
    this.server = server;
    this.password = `pw-${name}-correct-horse`;
  }

  static async create(name: string, server: string): Promise<User> {
    return new User(name, await mkdtemp(join(tmpdir(), `im-cli-${name}-`)), server);
  }

  /** Another machine of the same person (same account, its own credentials). */
  async otherDevice(): Promise<User> {
    const device = await User.create(this.name, this.server);
    return Object.assign(device, { password: this.password });
  }

  get env(): Record<string, string> {
    return { XDG_CONFIG_HOME: this.home, IM_SERVER: this.server, NO_COLOR: '1' };
  }

  /** Runs `im …` to completion. */
  run(
    args: string[],
    options: { stdin?: string; env?: Record<string, string | undefined> } = {},
  ): Promise<ImResult> {
    const child = spawn(process.execPath, [imBin, ...args], {
      env: { ...cleanEnv(), ...this.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(options.stdin ?? '');
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** `im register <name> --password-stdin`, failing the test on anything but success. */
  async register(): Promise<void> {
    expectOk(await this.run(['register', this.name, '--password-stdin'], { stdin: `${this.password}\n` }));
  }

  async login(): Promise<void> {
    expectOk(await this.run(['login', this.name, '--password-stdin'], { stdin: `${this.password}\n` }));
  }

  /** Starts a long-running `im …` (tail): read its output as it comes. */
  start(args: string[], options: { env?: Record<string, string | undefined> } = {}): RunningIm {
    const child = spawn(process.execPath, [imBin, ...args], {
      env: { ...cleanEnv(), ...this.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running: RunningIm = {
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        return running.exited;
      },
    };
    child.stdout.on('data', (chunk: Buffer) => {
      running.stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      running.stderr += chunk.toString();
    });
    return running;
  }
}

export interface RunningIm {
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
  /** Ctrl-C, then the exit status. */
  stop(): Promise<number | null>;
}

export function expectOk(result: ImResult): ImResult {
  if (result.code !== 0) {
    throw new Error(`im exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

/** The test runner's environment without what would change how `im` behaves. */
export function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['IM_SERVER', 'NO_COLOR', 'FORCE_COLOR', 'XDG_CONFIG_HOME', 'IM_DEBUG'])
    delete env[name];
  return env;
}
