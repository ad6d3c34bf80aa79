import type { SealedEnvelope } from '@im/contracts';
import type { Member as MemberModel, Message as MessageModel } from '../generated/prisma/client.js';
import type { MemberRow, MessageRow } from './types.js';

export function toMember(row: MemberModel): MemberRow {
  return {
    conversationId: row.conversationId,
    userId: row.userId,
    role: row.role,
    joinedAt: row.joinedAt,
    joinSeq: row.joinSeq,
    deliveredSeq: row.deliveredSeq,
    readSeq: row.readSeq,
  };
}

export function toMessage(row: MessageModel): MessageRow {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    senderId: row.senderId,
    senderDeviceId: row.senderDeviceId,
    clientMsgId: row.clientMsgId,
    // Validated against SealedEnvelope before it was stored; not re-parsed on every read.
    envelope: row.envelope as unknown as SealedEnvelope,
    createdAt: row.createdAt,
  };
}
