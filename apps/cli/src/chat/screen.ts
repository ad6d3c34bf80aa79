import { emitKeypressEvents } from 'node:readline';
import type { TtyOutput } from '../cli/context.js';
import type { Style } from '../ui/color.js';
import type { TtyInput } from '../ui/prompt.js';
import type { ChatController } from './controller.js';
import { type Key, LineEditor } from './editor.js';
import { renderScreen } from './render.js';

const ESC = '\x1b[';
const ENTER_SCREEN = `${ESC}?1049h${ESC}?2004h${ESC}H${ESC}2J`;
const LEAVE_SCREEN = `${ESC}?2004l${ESC}?25h${ESC}?1049l`;

/**
 * The full-screen chat in a terminal: the alternate screen (the shell's
 * scrollback is left as it was), raw keyboard input into the line editor, a
 * redraw whenever the model changes (coalesced), and a clock tick for
 * countdowns and typing timeouts. The terminal is always given back as it was,
 * also on Ctrl-Z (suspend) and on a crash.
 */
export class ChatScreen {
  readonly #input: TtyInput;
  readonly #output: TtyOutput;
  readonly #style: Style;
  readonly #chat: ChatController;
  readonly #editor = new LineEditor();
  #scroll = 0;
  #maxScroll = 0;
  #scheduled = false;
  #active = false;
  #tick: ReturnType<typeof setInterval> | undefined;
  #quit: () => void = () => undefined;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(input: TtyInput, output: TtyOutput, style: Style, chat: ChatController) {
    this.#input = input;
    this.#output = output;
    this.#style = style;
    this.#chat = chat;
  }

  /** Runs until the person quits. */
  async run(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.#quit = resolve;
    });
    emitKeypressEvents(this.#input);
    this.#chat.onChange = () => this.invalidate();
    this.#enter();
    process.on('SIGCONT', this.#onContinue);
    process.on('exit', this.#restore);
    this.#output.on('resize', this.#onResize);
    this.#input.on('keypress', this.#onKey);
    this.#tick = setInterval(() => this.invalidate(), 1_000);
    try {
      await done;
      await this.#busy;
    } finally {
      clearInterval(this.#tick);
      this.#input.off('keypress', this.#onKey);
      this.#output.off('resize', this.#onResize);
      process.off('SIGCONT', this.#onContinue);
      process.off('exit', this.#restore);
      this.#leave();
    }
  }

  invalidate(): void {
    if (this.#scheduled || !this.#active) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#active) this.#draw();
    });
  }

  #enter(): void {
    this.#active = true;
    this.#input.setRawMode?.(true);
    this.#input.resume();
    this.#output.write(ENTER_SCREEN);
    this.#draw();
  }

  #leave(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#output.write(LEAVE_SCREEN);
    this.#input.setRawMode?.(false);
    this.#input.pause();
  }

  readonly #restore = () => {
    if (this.#active) this.#leave();
  };

  readonly #onContinue = () => {
    if (!this.#active) this.#enter();
  };

  readonly #onResize = () => this.invalidate();

  readonly #onKey = (str: string | undefined, key: Key | undefined) => {
    const k = key ?? { sequence: str };
    if (k.ctrl && k.name === 'z') return this.#suspend();
    const action = this.#editor.handle(str, k);
    switch (action.type) {
      case 'none':
        return;
      case 'quit':
        return this.#quit();
      case 'redraw':
        this.#output.write(`${ESC}2J`);
        return this.invalidate();
      case 'scroll': {
        const page = Math.max(1, Math.floor(((this.#output.rows ?? 24) - 3) / 2));
        this.#scroll = Math.max(
          0,
          Math.min(this.#maxScroll, this.#scroll + (action.direction === 'up' ? page : -page)),
        );
        if (action.direction === 'up' && this.#scroll >= this.#maxScroll) {
          this.#busy = this.#chat.loadOlder();
        }
        return this.invalidate();
      }
      case 'changed':
        this.#chat.inputChanged(this.#editor.value);
        return this.invalidate();
      case 'submit':
        this.#scroll = 0;
        this.invalidate();
        this.#busy = this.#chat.submit(action.text).then(
          (result) => {
            if (result === 'quit') this.#quit();
          },
          (error: unknown) => this.#chat.showError(error),
        );
        return;
    }
  };

  /** Ctrl-Z: give the terminal back and stop; SIGCONT (`fg`) brings the screen back. */
  #suspend(): void {
    this.#leave();
    process.kill(process.pid, 'SIGTSTP');
  }

  #draw(): void {
    const width = this.#output.columns ?? 80;
    const height = this.#output.rows ?? 24;
    const input = this.#editor.view(Math.max(1, width - 3));
    const screen = renderScreen(
      this.#chat.model,
      {
        width,
        height,
        scroll: this.#scroll,
        input,
        name: this.#chat.name,
        title: this.#chat.title,
        now: new Date(),
      },
      this.#style,
    );
    const grown = screen.maxScroll - this.#maxScroll;
    this.#maxScroll = screen.maxScroll;
    if (this.#scroll > 0 && grown > 0) {
      // Scrolled up while lines arrived below: keep the same lines in view.
      this.#scroll += grown;
      this.#draw();
      return;
    }
    this.#scroll = Math.min(this.#scroll, screen.maxScroll);
    const body = screen.lines.map((line) => `${line}${ESC}K`).join('\r\n');
    this.#output.write(
      `${ESC}?25l${ESC}H${body}${ESC}${screen.cursor.row + 1};${screen.cursor.column + 1}H${ESC}?25h`,
    );
  }
}
