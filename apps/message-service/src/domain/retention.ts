import type { Logger } from '@im/logger';
import type { MessageStore } from '../repositories/store.js';

export interface RetentionOptions {
  readonly store: MessageStore;
  readonly logger: Logger;
  /** Messages older than this are deleted. */
  readonly retentionMs: number;
  /** Conversations per transaction. Default 100. */
  readonly conversationsPerPass?: number;
  /** Messages deleted per conversation per transaction. Default 5000. */
  readonly messagesPerConversation?: number;
  readonly now?: () => Date;
}

/**
 * Deletes messages older than the retention period, oldest first, in short
 * transactions. Each conversation records the highest seq deleted; history
 * starts after it, and a device whose cursor points before it is told to
 * resync (`resync: 'retention'`) on its next drain.
 */
export async function sweepRetention(options: RetentionOptions): Promise<{ deleted: number }> {
  const now = options.now ?? (() => new Date());
  const cutoff = new Date(now().getTime() - options.retentionMs);
  let deleted = 0;
  for (;;) {
    const pass = await options.store.transaction((repos) =>
      repos.conversations.purgeOlderThan(
        cutoff,
        options.conversationsPerPass ?? 100,
        options.messagesPerConversation ?? 5_000,
      ),
    );
    if (pass.length === 0) break;
    deleted += pass.reduce((sum, p) => sum + p.deleted, 0);
  }
  if (deleted > 0)
    options.logger.info({ deleted, cutoff: cutoff.toISOString() }, 'retention: old messages deleted');
  return { deleted };
}
