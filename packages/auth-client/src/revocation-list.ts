import type { MessagePayload } from '@im/contracts';

export interface RevocationListOptions {
  /**
   * How long an entry is kept: at least the longest access-token lifetime plus
   * clock skew. After that every token of the session has expired anyway,
   * because the auth service issues none for a revoked session.
   */
  retentionMs: number;
  /** Clock; default `Date.now`. */
  now?: () => number;
}

/**
 * The sessions revoked recently, fed by `session.revoked.v1` events, so that a
 * service refuses a revoked session's access token as soon as the event
 * arrives instead of when the token expires.
 *
 * Entries are dropped lazily once older than the retention; the list holds no
 * timers and needs no closing.
 */
export class RevocationList {
  readonly #revoked = new Map<string, number>();
  readonly #retentionMs: number;
  readonly #now: () => number;
  #lastPrune = 0;

  constructor(options: RevocationListOptions) {
    if (!(options.retentionMs > 0)) throw new RangeError('retentionMs must be positive');
    this.#retentionMs = options.retentionMs;
    this.#now = options.now ?? Date.now;
  }

  /** Records a revocation. Idempotent; the earliest revocation time of a session wins. */
  revoke(sessionId: string, revokedAt: Date | string | number = this.#now()): void {
    const at = new Date(revokedAt).getTime();
    if (Number.isNaN(at)) throw new RangeError(`invalid revokedAt: ${String(revokedAt)}`);
    const known = this.#revoked.get(sessionId);
    if (known === undefined || at < known) this.#revoked.set(sessionId, at);
    this.#pruneNowAndThen();
  }

  /** Applies a `session.revoked.v1` payload (wire this to a broker consumer). */
  apply(event: Pick<MessagePayload<'session.revoked.v1'>, 'sessionId' | 'revokedAt'>): void {
    this.revoke(event.sessionId, event.revokedAt);
  }

  isRevoked(sessionId: string): boolean {
    const at = this.#revoked.get(sessionId);
    if (at === undefined) return false;
    if (at + this.#retentionMs <= this.#now()) {
      this.#revoked.delete(sessionId);
      return false;
    }
    return true;
  }

  get size(): number {
    return this.#revoked.size;
  }

  /** Drops every entry older than the retention; returns how many were dropped. */
  prune(): number {
    const cutoff = this.#now() - this.#retentionMs;
    let dropped = 0;
    for (const [sessionId, at] of this.#revoked) {
      if (at <= cutoff) {
        this.#revoked.delete(sessionId);
        dropped += 1;
      }
    }
    this.#lastPrune = this.#now();
    return dropped;
  }

  /** A full scan at most once per tenth of the retention keeps memory bounded without a timer. */
  #pruneNowAndThen(): void {
    if (this.#now() - this.#lastPrune >= this.#retentionMs / 10) this.prune();
  }
}
