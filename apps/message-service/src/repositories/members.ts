import type { MemberRole, MemberRow } from './types.js';

export interface MemberCursorUpdate {
  readonly conversationId: string;
  readonly userId: string;
  /** Raised to at least this (never lowered). */
  readonly deliveredSeq: number;
  /** Raised to at least this (never lowered). */
  readonly readSeq: number;
}

export interface MemberRepository {
  find(conversationId: string, userId: string): Promise<MemberRow | null>;
  /** Members in join order. */
  list(conversationId: string): Promise<MemberRow[]>;
  /** Members of several conversations. */
  listMany(conversationIds: readonly string[]): Promise<MemberRow[]>;
  /** Which of these (conversation, user) pairs are memberships. */
  findMany(pairs: ReadonlyArray<{ conversationId: string; userId: string }>): Promise<MemberRow[]>;
  count(conversationId: string): Promise<number>;
  add(
    conversationId: string,
    members: ReadonlyArray<{ userId: string; role: MemberRole }>,
    joinSeq: number,
  ): Promise<void>;
  /** Ends a membership and drops the user's device cursors there. Resolves false when it did not exist. */
  remove(conversationId: string, userId: string): Promise<boolean>;
  setRole(conversationId: string, userId: string, role: MemberRole): Promise<void>;
  /**
   * Raises members' delivered/read cursors (GREATEST, so they never move back;
   * read implies delivered). Returns the members whose cursors actually moved,
   * with their new values.
   */
  advanceCursors(updates: readonly MemberCursorUpdate[]): Promise<MemberRow[]>;
  /** Everyone who shares at least one conversation with `userId` (not themselves). */
  contactsOf(userId: string): Promise<string[]>;
  /** The subset of `others` who share at least one conversation with `userId`. */
  filterContacts(userId: string, others: readonly string[]): Promise<string[]>;
}
