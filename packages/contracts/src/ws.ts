import { z } from 'zod';
import { Id, Seq, Timestamp } from './common.js';
import { SealedEnvelope } from './e2ee.js';
import { ErrorCode } from './errors.js';
import { StoredMessage } from './message.js';

/**
 * The WebSocket protocol between clients and gateways (docs/protocol.md).
 * Every frame is one JSON text message with a `type`. Client frames may carry
 * a `ref` (any string up to 64 chars) that the server echoes on the answer or
 * error it causes.
 */

export const PROTOCOL_VERSION = 1;
const Ref = z.string().min(1).max(64).optional();

// ---- client → server --------------------------------------------------------

export const AuthFrame = z.object({ type: z.literal('auth'), ref: Ref, token: z.string().min(1).max(4096) });
export const PingFrame = z.object({ type: z.literal('ping'), ref: Ref });
export const SendFrame = z.object({
  type: z.literal('message.send'),
  ref: Ref,
  clientMsgId: Id,
  conversationId: Id,
  envelope: SealedEnvelope,
});
/** This device has received everything up to `seq` in the conversation (advances its offline queue). */
export const AckFrame = z.object({ type: z.literal('ack'), ref: Ref, conversationId: Id, seq: Seq });
/** The user has read everything up to `seq` in the conversation. */
export const ReadFrame = z.object({ type: z.literal('read'), ref: Ref, conversationId: Id, seq: Seq });
export const TypingFrame = z.object({
  type: z.literal('typing'),
  ref: Ref,
  conversationId: Id,
  state: z.enum(['start', 'stop']),
});
/** Ask for the messages after this device's cursors again (after a gap, or to continue a drain). */
export const SyncFrame = z.object({ type: z.literal('sync'), ref: Ref });

export const ClientFrame = z.discriminatedUnion('type', [
  AuthFrame,
  PingFrame,
  SendFrame,
  AckFrame,
  ReadFrame,
  TypingFrame,
  SyncFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

// ---- server → client --------------------------------------------------------

export const ReadyFrame = z.object({
  type: z.literal('ready'),
  protocol: z.literal(PROTOCOL_VERSION),
  userId: Id,
  deviceId: Id,
  serverTime: Timestamp,
  heartbeatIntervalMs: z.number().int().positive(),
  limits: z.object({
    maxFrameBytes: z.number().int().positive(),
    maxEnvelopeBytes: z.number().int().positive(),
    framesPerSecond: z.number().positive(),
  }),
  /**
   * Set when this device cannot be caught up from its cursors (a new device, or
   * cursors older than the retention horizon): load recent history over HTTP.
   */
  resync: z.object({ reason: z.enum(['new_device', 'retention']) }).nullable(),
});
export const PongFrame = z.object({ type: z.literal('pong'), ref: Ref, serverTime: Timestamp });
/** A message for this device, from the offline drain or live. Clients drop duplicates by (conversationId, seq). */
export const MessageFrame = z.object({ type: z.literal('message'), message: StoredMessage });
/** Answer to `message.send`: the message is stored (status `sent`). */
export const SentFrame = z.object({
  type: z.literal('message.sent'),
  ref: Ref,
  clientMsgId: Id,
  conversationId: Id,
  messageId: Id,
  seq: Seq,
  createdAt: Timestamp,
});
export const ReceiptFrame = z.object({
  type: z.literal('receipt'),
  conversationId: Id,
  userId: Id,
  deliveredSeq: Seq,
  readSeq: Seq,
});
export const TypingEventFrame = z.object({
  type: z.literal('typing'),
  conversationId: Id,
  userId: Id,
  state: z.enum(['start', 'stop']),
});
export const PresenceFrame = z.object({
  type: z.literal('presence'),
  userId: Id,
  status: z.enum(['online', 'offline']),
  lastSeenAt: Timestamp.nullable(),
});
export const ConversationFrame = z.object({
  type: z.literal('conversation.updated'),
  conversationId: Id,
  change: z.enum(['created', 'members_added', 'member_removed', 'member_left', 'renamed']),
  memberIds: z.array(Id),
});
export const KeysChangedFrame = z.object({
  type: z.literal('keys.changed'),
  userId: Id,
  keyVersion: z.number().int(),
});
export const BroadcastFrame = z.object({
  type: z.literal('broadcast'),
  text: z.string(),
  from: z.string(),
  at: Timestamp,
});
/** The offline drain reached the end of what was pending; live delivery continues. */
export const SyncDoneFrame = z.object({
  type: z.literal('sync.done'),
  ref: Ref,
  delivered: z.number().int(),
});
export const ErrorFrame = z.object({
  type: z.literal('error'),
  ref: Ref,
  code: ErrorCode,
  message: z.string(),
  /** For a refused `message.send`: which message. */
  clientMsgId: Id.optional(),
});

export const ServerFrame = z.discriminatedUnion('type', [
  ReadyFrame,
  PongFrame,
  MessageFrame,
  SentFrame,
  ReceiptFrame,
  TypingEventFrame,
  PresenceFrame,
  ConversationFrame,
  KeysChangedFrame,
  BroadcastFrame,
  SyncDoneFrame,
  ErrorFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
