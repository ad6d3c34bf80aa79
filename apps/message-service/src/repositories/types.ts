import type { SealedEnvelope } from '@im/contracts';

/** Rows as the repositories hand them to the domain. Seqs are plain numbers (int4 in the database). */

export type ConversationKind = 'direct' | 'group';
export type MemberRole = 'owner' | 'member';

export interface ConversationRow {
  readonly id: string;
  readonly kind: ConversationKind;
  readonly title: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly lastSeq: number;
  /** Highest seq deleted by retention; history and drains start after it. */
  readonly purgedThroughSeq: number;
}

export interface MemberRow {
  readonly conversationId: string;
  readonly userId: string;
  readonly role: MemberRole;
  readonly joinedAt: Date;
  /** Last seq of the conversation when the user joined; they see the messages after it. */
  readonly joinSeq: number;
  readonly deliveredSeq: number;
  readonly readSeq: number;
}

/** A stored message. The envelope was validated against its schema before it was stored. */
export interface MessageRow {
  readonly id: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly senderId: string;
  readonly senderDeviceId: string;
  readonly clientMsgId: string;
  readonly envelope: SealedEnvelope;
  readonly createdAt: Date;
}
