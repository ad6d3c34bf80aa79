import type { StoredMessage } from '@im/contracts';
import type { MessageServiceClient, PendingPage, PendingRequest } from '../../src/index.js';

/**
 * Stand-ins for the message service's pending endpoint, for gateway tests that
 * are about the gateway alone. Tests of the whole path use the real service.
 */

/** Every device is caught up: nothing pending. */
export const nothingPending: MessageServiceClient = {
  async pending() {
    return { messages: [], nextPageToken: null, resync: null };
  },
};

/**
 * Serves a fixed offline queue in pages of `request.limit`, and can hold a page
 * back until the test releases it (to deliver live messages mid-drain).
 */
export class ScriptedPending implements MessageServiceClient {
  readonly requests: PendingRequest[] = [];
  #gate: { page: number; opened: Promise<void>; open: () => void } | undefined;

  constructor(
    private readonly messages: StoredMessage[],
    private readonly resync: PendingPage['resync'] = null,
  ) {}

  /** More messages stored (they show up in pages read from now on, as in the database). */
  append(...messages: StoredMessage[]): void {
    this.messages.push(...messages);
  }

  /** Page `index` (0-based) will not be answered until `release()`. */
  holdPage(index: number): void {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#gate = { page: index, opened, open };
  }

  release(): void {
    this.#gate?.open();
  }

  /** Page requests received so far. */
  get pagesRequested(): number {
    return this.requests.length;
  }

  async pending(request: PendingRequest): Promise<PendingPage> {
    this.requests.push(request);
    const start = request.pageToken === undefined ? 0 : Number(request.pageToken);
    const index = Math.floor(start / request.limit);
    if (this.#gate && this.#gate.page === index) await this.#gate.opened;
    const messages = this.messages.slice(start, start + request.limit);
    const next = start + messages.length;
    return {
      messages,
      nextPageToken: next < this.messages.length ? String(next) : null,
      resync: start === 0 ? this.resync : null,
    };
  }
}

/** A message service that cannot be reached. */
export const unreachable: MessageServiceClient = {
  async pending() {
    const { AppError } = await import('@im/contracts');
    throw new AppError('UNAVAILABLE', 'message service down (test)');
  },
};
