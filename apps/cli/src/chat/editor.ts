import { graphemes, graphemeWidth } from '../ui/text.js';

/** A key as node:readline's keypress event describes it. */
export interface Key {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}

export type EditorAction =
  | { type: 'none' }
  | { type: 'changed' }
  | { type: 'submit'; text: string }
  | { type: 'quit' }
  | { type: 'scroll'; direction: 'up' | 'down' }
  | { type: 'redraw' };

const NONE: EditorAction = { type: 'none' };
const CHANGED: EditorAction = { type: 'changed' };
const HISTORY_LIMIT = 100;

/**
 * The input line of the chat screen: an editor with the usual terminal keys
 * (arrows, Home/End, Ctrl-A/E/B/F/U/K/W, Alt-B/F, Up/Down for earlier lines),
 * bracketed paste (a pasted line break stays in the message instead of sending
 * it), and a view that scrolls sideways to keep the cursor in sight. Pure: it
 * turns keys into actions and never writes to the terminal.
 */
export class LineEditor {
  #chars: string[] = [];
  #cursor = 0;
  #pasting = false;
  readonly #history: string[] = [];
  /** Position while browsing the history (= length: not browsing). */
  #historyIndex = 0;
  #draft = '';

  get value(): string {
    return this.#chars.join('');
  }

  get cursor(): number {
    return this.#cursor;
  }

  set value(text: string) {
    this.#chars = graphemes(text);
    this.#cursor = this.#chars.length;
  }

  handle(str: string | undefined, key: Key): EditorAction {
    switch (key.name) {
      case 'paste-start':
        this.#pasting = true;
        return NONE;
      case 'paste-end':
        this.#pasting = false;
        return NONE;
      case 'return':
      case 'enter':
        if (this.#pasting) return this.#insert('\n');
        return this.#submit();
    }
    if (key.ctrl) return this.#control(key.name);
    if (key.meta) return this.#meta(key.name);
    switch (key.name) {
      case 'backspace':
        return this.#deleteRange(this.#cursor - 1, this.#cursor);
      case 'delete':
        return this.#deleteRange(this.#cursor, this.#cursor + 1);
      case 'left':
        return this.#move(this.#cursor - 1);
      case 'right':
        return this.#move(this.#cursor + 1);
      case 'home':
        return this.#move(0);
      case 'end':
        return this.#move(this.#chars.length);
      case 'up':
        return this.#browse(-1);
      case 'down':
        return this.#browse(1);
      case 'pageup':
        return { type: 'scroll', direction: 'up' };
      case 'pagedown':
        return { type: 'scroll', direction: 'down' };
      case 'escape':
      case 'tab':
        return NONE;
    }
    if (str === undefined || str === '') return NONE;
    // Control characters that no key name covered (and escape sequences readline did not know) are not text.
    if ([...str].some((char) => char < ' ' || char === '\u007f')) return NONE;
    return this.#insert(str);
  }

  /** What to show in `width` columns: the text (line breaks as ↵) scrolled so the cursor is visible. */
  view(width: number): { text: string; cursorColumn: number } {
    const shown = this.#chars.map((char) => (char === '\n' ? '↵' : char));
    const widths = shown.map(graphemeWidth);
    let start = 0;
    let before = widths.slice(0, this.#cursor).reduce((sum, w) => sum + w, 0);
    while (before > width - 1 && start < this.#cursor) {
      before -= widths[start]!;
      start++;
    }
    let text = '';
    let used = 0;
    for (let index = start; index < shown.length; index++) {
      if (used + widths[index]! > width) break;
      text += shown[index];
      used += widths[index]!;
    }
    return { text, cursorColumn: before };
  }

  #control(name: string | undefined): EditorAction {
    switch (name) {
      case 'c':
        return { type: 'quit' };
      case 'd':
        return this.#chars.length === 0
          ? { type: 'quit' }
          : this.#deleteRange(this.#cursor, this.#cursor + 1);
      case 'a':
        return this.#move(0);
      case 'e':
        return this.#move(this.#chars.length);
      case 'b':
        return this.#move(this.#cursor - 1);
      case 'f':
        return this.#move(this.#cursor + 1);
      case 'u':
        return this.#deleteRange(0, this.#cursor);
      case 'k':
        return this.#deleteRange(this.#cursor, this.#chars.length);
      case 'w':
      case 'backspace':
        return this.#deleteRange(this.#wordStart(), this.#cursor);
      case 'left':
        return this.#move(this.#wordStart());
      case 'right':
        return this.#move(this.#wordEnd());
      case 'l':
        return { type: 'redraw' };
      case 'p':
        return this.#browse(-1);
      case 'n':
        return this.#browse(1);
      default:
        return NONE;
    }
  }

  #meta(name: string | undefined): EditorAction {
    switch (name) {
      case 'b':
      case 'left':
        return this.#move(this.#wordStart());
      case 'f':
      case 'right':
        return this.#move(this.#wordEnd());
      case 'backspace':
        return this.#deleteRange(this.#wordStart(), this.#cursor);
      case 'd':
        return this.#deleteRange(this.#cursor, this.#wordEnd());
      default:
        return NONE;
    }
  }

  #insert(text: string): EditorAction {
    const before = this.#chars.slice(0, this.#cursor).join('') + text;
    const after = this.#chars.slice(this.#cursor).join('');
    this.#chars = graphemes(before + after);
    this.#cursor = graphemes(before).length;
    return CHANGED;
  }

  #deleteRange(from: number, to: number): EditorAction {
    const start = Math.max(0, from);
    const end = Math.min(this.#chars.length, to);
    if (end <= start) return NONE;
    this.#chars.splice(start, end - start);
    this.#cursor = start;
    return CHANGED;
  }

  #move(position: number): EditorAction {
    const next = Math.max(0, Math.min(this.#chars.length, position));
    if (next === this.#cursor) return NONE;
    this.#cursor = next;
    return CHANGED;
  }

  #wordStart(): number {
    let index = this.#cursor;
    while (index > 0 && /\s/.test(this.#chars[index - 1]!)) index--;
    while (index > 0 && !/\s/.test(this.#chars[index - 1]!)) index--;
    return index;
  }

  #wordEnd(): number {
    let index = this.#cursor;
    while (index < this.#chars.length && /\s/.test(this.#chars[index]!)) index++;
    while (index < this.#chars.length && !/\s/.test(this.#chars[index]!)) index++;
    return index;
  }

  #submit(): EditorAction {
    const text = this.value;
    if (text.trim() === '') return NONE;
    if (this.#history[this.#history.length - 1] !== text) this.#history.push(text);
    if (this.#history.length > HISTORY_LIMIT) this.#history.shift();
    this.#historyIndex = this.#history.length;
    this.#draft = '';
    this.#chars = [];
    this.#cursor = 0;
    return { type: 'submit', text };
  }

  #browse(step: -1 | 1): EditorAction {
    const next = this.#historyIndex + step;
    if (next < 0 || next > this.#history.length) return NONE;
    if (this.#historyIndex === this.#history.length) this.#draft = this.value;
    this.#historyIndex = next;
    this.value = next === this.#history.length ? this.#draft : this.#history[next]!;
    return CHANGED;
  }
}
