import type { StoredMessage } from '@im/contracts';

export interface AcceptResult {
  /** Messages to hand to the application now, in seq order (empty for a duplicate or a message after a gap). */
  readonly deliver: StoredMessage[];
  readonly duplicate: boolean;
}

/**
 * What this client has of one conversation: the highest seq it holds with no
 * gap below it (`contiguous`), and the messages that arrived after a gap and
 * wait for it to be filled. Messages leave it in seq order, each once.
 *
 * Without a known starting point (no cursor given), the first message seen
 * sets the base; an older message that shows up later (live delivery can
 * reorder across delivery workers) is still handed over once.
 */
export class ConversationLog {
  #contiguous: number | undefined;
  #base: number | undefined;
  readonly #ahead = new Map<number, StoredMessage>();
  readonly #late = new Set<number>();

  /** @param cursor the highest seq the application already has, when it knows it. */
  constructor(cursor?: number) {
    this.#contiguous = cursor;
  }

  /** The highest seq held with no gap below it; undefined before the first message when no cursor was given. */
  get contiguous(): number | undefined {
    return this.#contiguous;
  }

  /** A message arrived after a missing one. */
  get hasGap(): boolean {
    return this.#ahead.size > 0;
  }

  /** The lowest seq held after the gap (undefined without a gap). */
  get firstAhead(): number | undefined {
    let lowest: number | undefined;
    for (const seq of this.#ahead.keys()) if (lowest === undefined || seq < lowest) lowest = seq;
    return lowest;
  }

  accept(message: StoredMessage): AcceptResult {
    const { seq } = message;
    if (this.#contiguous === undefined) {
      this.#contiguous = seq;
      this.#base = seq;
      return { deliver: [message, ...this.#release()], duplicate: false };
    }
    if (this.#base !== undefined && seq < this.#base) {
      if (this.#late.has(seq)) return { deliver: [], duplicate: true };
      this.#late.add(seq);
      return { deliver: [message], duplicate: false };
    }
    if (seq <= this.#contiguous || this.#ahead.has(seq)) return { deliver: [], duplicate: true };
    if (seq === this.#contiguous + 1) {
      this.#contiguous = seq;
      return { deliver: [message, ...this.#release()], duplicate: false };
    }
    this.#ahead.set(seq, message);
    return { deliver: [], duplicate: false };
  }

  /**
   * The messages in (contiguous, seq] do not exist any more (gap repair found
   * nothing there: retention removed them). Moves past them and hands over
   * what was waiting.
   */
  skipTo(seq: number): StoredMessage[] {
    if (this.#contiguous === undefined || seq <= this.#contiguous) return [];
    this.#contiguous = seq;
    const passed = [...this.#ahead.values()].filter((m) => m.seq <= seq).sort((a, b) => a.seq - b.seq);
    for (const message of passed) this.#ahead.delete(message.seq);
    return [...passed, ...this.#release()];
  }

  #release(): StoredMessage[] {
    const out: StoredMessage[] = [];
    if (this.#contiguous === undefined) return out;
    for (;;) {
      const next = this.#ahead.get(this.#contiguous + 1);
      if (!next) return out;
      this.#ahead.delete(next.seq);
      this.#contiguous = next.seq;
      out.push(next);
    }
  }
}
