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
    const command = `env ${exports} ${shellQuote(process.execPath)} ${shellQuote(imBin)} ${args.map(shellQuote).join(' ')}`;
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
    await this.tmux('set-option', '-t', 'im', 'remain-on-exit', 'on');
    await this.tmux('resize-window', '-t', `im:${name}`, '-x', String(size.width), '-y', String(size.height));
    return new Terminal(this, `im:${name}`);
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
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

  /** The exit status of the program once it has ended, else undefined. */
  async exitStatus(): Promise<number | undefined> {
    const out = await this.#tmux.tmux(
      'display-message',
      '-p',
      '-t',
      this.target,
      '#{pane_dead} #{pane_dead_status}',
    );
    const [dead, status] = out.trim().split(' ');
    return dead === '1' ? Number(status) : undefined;
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
