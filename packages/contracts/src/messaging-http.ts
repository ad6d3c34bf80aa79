import { z } from 'zod';
import { Id, Seq, Timestamp } from './common.js';
import { StoredMessage } from './message.js';

/** HTTP API of the message service (OpenAPI at /docs on the message service). */

export const ConversationKind = z.enum(['direct', 'group']);

export const Member = z
  .object({
    userId: Id,
    role: z.enum(['owner', 'member']),
    joinedAt: Timestamp,
    /** Highest seq delivered to at least one of this member's devices. */
    deliveredSeq: Seq,
    /** Highest seq this member has read. */
    readSeq: Seq,
  })
  .meta({ id: 'Member' });
export type Member = z.infer<typeof Member>;

export const Conversation = z
  .object({
    id: Id,
    kind: ConversationKind,
    title: z.string().nullable(),
    createdAt: Timestamp,
    members: z.array(Member),
    /** Seq of the newest message (0: none yet). */
    lastSeq: Seq,
    lastMessage: StoredMessage.nullable(),
    /** Messages from others after my read cursor. */
    unreadCount: z.number().int().nonnegative(),
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof Conversation>;

export const CreateDirectBody = z.object({ userId: Id });
export const CreateGroupBody = z.object({
  title: z.string().trim().min(1).max(100),
  memberIds: z.array(Id).max(999).default([]),
});
export const RenameBody = z.object({ title: z.string().trim().min(1).max(100) });
export const AddMembersBody = z.object({ userIds: z.array(Id).min(1).max(100) });
export const ConversationParams = z.object({ id: Id });
export const MemberParams = z.object({ id: Id, userId: Id });

export const ConversationList = z.object({ conversations: z.array(Conversation) });

export const HistoryQuery = z
  .object({
    /** Messages with seq < before, newest first page (scrolling back). */
    before: z.coerce.number().int().positive().optional(),
    /** Messages with seq > after, oldest first (catching up, filling a gap). */
    after: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .refine((q) => q.before === undefined || q.after === undefined, 'use either before or after, not both');

export const HistoryPage = z.object({
  /** Always in ascending seq order. */
  messages: z.array(StoredMessage),
  /** More messages exist in the direction asked. */
  hasMore: z.boolean(),
});
export type HistoryPage = z.infer<typeof HistoryPage>;

export const PresenceQuery = z.object({
  userIds: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(Id).min(1).max(200)),
});
export const PresenceEntry = z.object({
  userId: Id,
  status: z.enum(['online', 'offline']),
  lastSeenAt: Timestamp.nullable(),
});
export const PresenceList = z.object({ presence: z.array(PresenceEntry) });

/** Internal (gateway → message service): what a device has not acknowledged yet, in seq order. */
export const PendingQuery = z.object({
  userId: Id,
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  /** Opaque keyset position from the previous page's `nextPageToken`. */
  pageToken: z.string().max(512).optional(),
});
export const PendingPage = z.object({
  /** In ascending seq order within each conversation. */
  messages: z.array(StoredMessage),
  nextPageToken: z.string().nullable(),
  /** Set on the first page when the device cannot be caught up from its cursors. */
  resync: z.enum(['new_device', 'retention']).nullable(),
});
export type PendingPage = z.infer<typeof PendingPage>;

export const MemberList = z.object({ members: z.array(Member) });

/** Internal (gateway, delivery worker → message service). */
export const DeviceParams = z.object({ deviceId: Id });
export const UserParams = z.object({ id: Id });
export const MemberIdList = z.object({ memberIds: z.array(Id) });
export const ContactList = z.object({
  /** Everyone who shares at least one conversation with the user. */
  userIds: z.array(Id),
});
