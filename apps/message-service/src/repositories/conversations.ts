import type { ConversationKind, ConversationRow, MemberRole, MemberRow, MessageRow } from './types.js';

export interface NewConversation {
  readonly id: string;
  readonly kind: ConversationKind;
  readonly title: string | null;
  /** Direct conversations: the sorted pair of user ids (see `directKey`). */
  readonly directKey: string | null;
  readonly createdBy: string;
  readonly members: ReadonlyArray<{ userId: string; role: MemberRole }>;
}

/** One conversation as a member sees it in a list. */
export interface ConversationView {
  readonly conversation: ConversationRow;
  readonly members: readonly MemberRow[];
  readonly lastMessage: MessageRow | null;
  /** Messages from others after the viewer's read cursor (and after they joined). */
  readonly unreadCount: number;
}

export interface ConversationRepository {
  /** Inserts a conversation and its first members (join seq 0). Rejects on a duplicate direct key. */
  create(conversation: NewConversation): Promise<void>;
  get(id: string): Promise<ConversationRow | null>;
  getMany(ids: readonly string[]): Promise<ConversationRow[]>;
  findDirect(directKey: string): Promise<ConversationRow | null>;
  /**
   * Locks the conversations' rows until the transaction ends (in id order, so
   * concurrent lockers cannot deadlock) and returns those that exist. Message
   * sequencing and membership changes serialize on this lock.
   */
  lock(ids: readonly string[]): Promise<ConversationRow[]>;
  setTitle(id: string, title: string): Promise<void>;
  /** Marks activity (orders the conversation list). */
  touch(id: string): Promise<void>;
  /** Sets each conversation's last seq (and activity time) after messages were inserted. */
  advanceLastSeq(updates: ReadonlyArray<{ id: string; lastSeq: number }>): Promise<void>;
  /** The conversations a user belongs to, most recently active first, as that user sees them. */
  listForMember(userId: string): Promise<ConversationView[]>;
  /** One conversation as `userId` sees it, or null when it does not exist or they are not a member. */
  viewForMember(id: string, userId: string): Promise<ConversationView | null>;
  /**
   * Retention: deletes the oldest messages of up to `limit` conversations,
   * those created before `cutoff` (at most `chunk` per conversation per call),
   * and records the highest deleted seq. Returns what it deleted.
   */
  purgeOlderThan(
    cutoff: Date,
    limit: number,
    chunk: number,
  ): Promise<Array<{ conversationId: string; throughSeq: number; deleted: number }>>;
}
