import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { imBin } from './cli.js';

const run = promisify(execFile);

/**
 * A real pseudo-terminal: a tmux server of the test's own (its own socket, so
 * nothing touches a person's tmux), one window per person running `im`.
 */
export class Tmux {
  readonly #socket = `im-cli-test-${randomBytes(4).toString('hex')}`;

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.#socket, '-f', '/dev/null', ...args]);
    return stdout;
  }

  /** Opens a terminal of `width`×`height` running `im <args>` with this environment. */
  async open(
    name: string,
    args: string[],
    env: Record<string, string>,
    size = { width: 100, height: 30 },
  ): Promise<Terminal> {
    const exports = Object.entries({ TERM: 'xterm-256color', ...env })
      .map(([key, value]) => `${key}=${shellQuote(value)}`)
      .join(' ');
    const im = `env ${exports} ${shellQuote(process.execPath)} ${shellQuote(imBin)} ${args.map(shellQuote).join(' ')}`;
    // The shell prints the exit status on the screen and keeps the window open until the tmux server is killed.
    const command = `${im}; echo "[im exited with $?]"; exec sleep 3600`;
    const exists = await this.tmux('list-sessions').then(
      () => true,
      () => false,
    );
    const target = exists ? ['new-window', '-d', '-n', name] : ['new-session', '-d', '-s', 'im', '-n', name];
    await this.tmux(
      ...target,
      ...(exists ? ['-t', 'im'] : ['-x', String(size.width), '-y', String(size.height)]),
      command,
    );
    await this.tmux('resize-window', '-t', `im:${name}`, '-x', String(size.width), '-y', String(size.height));
    return new Terminal(this, `im:${name}`);
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch((error: unknown) => {
      // No server: nothing was opened, or it is already gone. Anything else is worth seeing.
      if (!/no server running|error connecting to/.test(String(error))) throw error;
    });
  }
}

export class Terminal {
  readonly #tmux: Tmux;
  readonly target: string;

  constructor(tmux: Tmux, target: string) {
    this.#tmux = tmux;
    this.target = target;
  }

  /** The screen as text (with `escapes`: including colour escape sequences). */
  async screen(options: { escapes?: boolean } = {}): Promise<string> {
    return this.#tmux.tmux('capture-pane', '-p', ...(options.escapes ? ['-e'] : []), '-t', this.target);
  }

  /** Types text literally (no key names), as a person would. */
  async type(text: string): Promise<void> {
    await this.#tmux.tmux('send-keys', '-t', this.target, '-l', text);
  }

  /** Presses keys by tmux name: Enter, C-c, PageUp … */
  async press(...keys: string[]): Promise<void> {
    await this.#tmux.tmux('send-keys', '-t', this.target, ...keys);
  }

  /** The exit status of `im` once it has ended (the shell around it prints it), else undefined. */
  async exitStatus(): Promise<number | undefined> {
    const match = /\[im exited with (\d+)\]/.exec(await this.screen());
    return match ? Number(match[1]) : undefined;
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
