import type { MessageRow } from './types.js';

/** A position in a device's drain: the last (conversation, seq) already returned. */
export interface PendingPosition {
  readonly conversationId: string;
  readonly seq: number;
}

export interface HistoryRange {
  /** Only messages after this seq exist for the reader (their join seq, the retention horizon). */
  readonly floorSeq: number;
  /** Oldest first from `afterSeq` … */
  readonly afterSeq?: number;
  /** … or newest first below `beforeSeq` (default: from the newest). */
  readonly beforeSeq?: number;
  readonly limit: number;
}

export interface MessageRepository {
  /** Messages already stored under these (sender, clientMsgId) keys. */
  findByClientIds(keys: ReadonlyArray<{ senderId: string; clientMsgId: string }>): Promise<MessageRow[]>;
  /** Inserts in one statement. Rejects (unique violation) when a (sender, clientMsgId) exists already. */
  insertMany(messages: readonly MessageRow[]): Promise<void>;
  getMany(ids: readonly string[]): Promise<MessageRow[]>;
  /** A page of a conversation in ascending seq order; `hasMore` says whether more exist in that direction. */
  history(conversationId: string, range: HistoryRange): Promise<{ messages: MessageRow[]; hasMore: boolean }>;
  /**
   * What a device has not acknowledged, in (conversation, seq) order after
   * `after`: for each of its cursors in a conversation where the user is still
   * a member, the messages after max(cursor, join seq). At most `limit`.
   */
  pendingForDevice(
    deviceId: string,
    userId: string,
    after: PendingPosition | null,
    limit: number,
  ): Promise<MessageRow[]>;
}
