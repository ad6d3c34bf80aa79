import type { MemberDirectory } from './directory.js';

export interface MembersCacheOptions {
  /** How long a member list is trusted without a membership event, ms. */
  ttlMs: number;
  /** Most conversations kept; the least recently stored go first. */
  maxEntries: number;
  now?: () => number;
}

/**
 * Member lists of conversations for typing indicators, which arrive in bursts
 * and must not cost a request each. Entries expire after `ttlMs` and are
 * dropped at once on a membership change; concurrent misses share one request.
 */
export class MembersCache {
  readonly #entries = new Map<string, { members: ReadonlySet<string> | null; at: number }>();
  readonly #loading = new Map<string, Promise<ReadonlySet<string> | null>>();
  readonly #now: () => number;
  /** Bumped by every invalidation, so a load that started before one is not stored after it. */
  #generation = 0;

  constructor(
    private readonly directory: MemberDirectory,
    private readonly options: MembersCacheOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** The members, or null when the conversation does not exist. */
  async members(conversationId: string): Promise<ReadonlySet<string> | null> {
    const entry = this.#entries.get(conversationId);
    if (entry && this.#now() - entry.at < this.options.ttlMs) return entry.members;
    const loading = this.#loading.get(conversationId);
    if (loading) return loading;
    const generation = this.#generation;
    const load = this.directory
      .members(conversationId)
      .then((ids) => {
        const members = ids === null ? null : new Set(ids);
        if (this.#generation === generation) this.#store(conversationId, members);
        return members;
      })
      .finally(() => this.#loading.delete(conversationId));
    this.#loading.set(conversationId, load);
    return load;
  }

  invalidate(conversationId: string): void {
    this.#entries.delete(conversationId);
    this.#loading.delete(conversationId);
    this.#generation += 1;
  }

  get size(): number {
    return this.#entries.size;
  }

  #store(conversationId: string, members: ReadonlySet<string> | null): void {
    this.#entries.delete(conversationId);
    this.#entries.set(conversationId, { members, at: this.#now() });
    while (this.#entries.size > this.options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
