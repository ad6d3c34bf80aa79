import type { Conversation, Member, StoredMessage } from '@im/contracts';
import type { ConversationView } from '../repositories/conversations.js';
import type { MemberRow, MessageRow } from '../repositories/types.js';

export function toStoredMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    senderId: row.senderId,
    senderDeviceId: row.senderDeviceId,
    clientMsgId: row.clientMsgId,
    envelope: row.envelope,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toMember(row: MemberRow): Member {
  return {
    userId: row.userId,
    role: row.role,
    joinedAt: row.joinedAt.toISOString(),
    deliveredSeq: row.deliveredSeq,
    readSeq: row.readSeq,
  };
}

export function toConversation(view: ConversationView): Conversation {
  const { conversation } = view;
  return {
    id: conversation.id,
    kind: conversation.kind,
    title: conversation.title,
    createdAt: conversation.createdAt.toISOString(),
    members: view.members.map(toMember),
    lastSeq: conversation.lastSeq,
    lastMessage: view.lastMessage ? toStoredMessage(view.lastMessage) : null,
    unreadCount: view.unreadCount,
  };
}
