import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks it; a race with another process is possible but rare). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

export interface StartProcessOptions {
  /** A label for error messages. */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Ready when a GET of this URL answers 200 … */
  readyUrl?: string;
  /** … or when a line of output matches this. */
  readyLine?: RegExp;
  timeoutMs?: number;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Output lines parsed as JSON (pino logs); other lines are skipped. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Sends a signal (default SIGTERM) and waits for the exit; SIGKILLs after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/**
 * Starts a child process (a service's main.ts through tsx, usually) and waits
 * until it is ready. Fails with the process's output when it exits early or
 * does not get ready in time.
 */
export async function startProcess(options: StartProcessOptions): Promise<RunningProcess> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const lineWaiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of lineWaiters) waiter();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  if (child.pid === undefined) {
    await once(child, 'error');
    throw new Error(`${options.name}: could not start ${options.command}`);
  }

  const running: RunningProcess = {
    child,
    pid: child.pid,
    output: () => output,
    logs: () => parseJsonLines(output),
    exited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const timeoutMs = options.timeoutMs ?? 30_000;
  const ready = options.readyUrl
    ? pollHttp(options.readyUrl, timeoutMs)
    : options.readyLine
      ? new Promise<void>((resolve) => {
          const check = () => {
            if (options.readyLine?.test(output)) resolve();
          };
          lineWaiters.push(check);
          check();
        })
      : Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      exited.then((code) => {
        throw new Error(`${options.name} exited (${code}) before it was ready. Output:\n${output}`);
      }),
      new Promise((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${options.name} was not ready after ${timeoutMs} ms. Output:\n${output}`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return running;
}

/** Resolves once `url` answers 200, polling; rejects after `timeoutMs`. */
export async function pollHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}

export function parseJsonLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A partial line still being written, or a non-JSON line that starts with '{': not a log entry.
    }
  }
  return out;
}

/** Command and arguments that run a TypeScript entry point (a service's main.ts) with tsx. */
export function tsxCommand(script: string, ...args: string[]): { command: string; args: string[] } {
  const cli = createRequire(import.meta.url).resolve('tsx/cli');
  return { command: process.execPath, args: [cli, script, ...args] };
}
