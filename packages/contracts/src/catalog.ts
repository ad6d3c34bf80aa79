import { z } from 'zod';
import { Id, Seq, Timestamp } from './common.js';
import { SealedEnvelope } from './e2ee.js';
import { StoredMessage } from './message.js';
import type { ExchangeKey } from './topology.js';
import { ServerFrame } from './ws.js';

/**
 * Every broker message travels as this JSON envelope. `type` is the catalog
 * name (`<noun>.<verb>.v<N>`) and is also the AMQP `type` property; `id` is the
 * AMQP `messageId` and is what consumers deduplicate on.
 */
export const BrokerEnvelope = z.object({
  id: z.string().min(1).max(128),
  type: z.string().regex(/^[a-z][a-z-]*(\.[a-z][a-z-]*)+\.v\d+$/),
  occurredAt: Timestamp,
  data: z.unknown(),
});
export type BrokerEnvelope = z.infer<typeof BrokerEnvelope>;

// ---- auth ---------------------------------------------------------------

export const UserRegistered = z.object({ userId: Id, username: z.string(), registeredAt: Timestamp });
export const SessionCreated = z.object({
  sessionId: Id,
  userId: Id,
  deviceName: z.string(),
  createdAt: Timestamp,
});
export const SessionRevokeReason = z.enum([
  'logout',
  'reuse_detected',
  'deleted',
  'expired',
  'password_changed',
]);
export const SessionRevoked = z.object({
  sessionId: Id,
  userId: Id,
  reason: SessionRevokeReason,
  revokedAt: Timestamp,
});
export const KeysChanged = z.object({
  userId: Id,
  keyVersion: z.number().int().positive(),
  changedAt: Timestamp,
});

// ---- messaging ------------------------------------------------------------

export const MessageSendCommand = z.object({
  clientMsgId: Id,
  conversationId: Id,
  senderId: Id,
  senderDeviceId: Id,
  envelope: SealedEnvelope,
  receivedAt: Timestamp,
});

export const MessageStored = z.object({
  message: StoredMessage,
  /** Every member at the time of storing; the delivery worker routes to them. */
  memberIds: z.array(Id),
});

export const MessageRejected = z.object({
  clientMsgId: Id,
  conversationId: Id,
  senderId: Id,
  senderDeviceId: Id,
  code: z.string(),
  message: z.string(),
});

export const ReceiptKind = z.enum(['delivered', 'read']);
export const ReceiptRecordCommand = z.object({
  conversationId: Id,
  userId: Id,
  deviceId: Id,
  kind: ReceiptKind,
  seq: Seq,
});
export const ReceiptUpdated = z.object({
  conversationId: Id,
  userId: Id,
  deliveredSeq: Seq,
  readSeq: Seq,
  memberIds: z.array(Id),
});

export const ConversationUpdated = z.object({
  conversationId: Id,
  change: z.enum(['created', 'members_added', 'member_removed', 'member_left', 'renamed']),
  actorId: Id,
  memberIds: z.array(Id),
  affectedUserIds: z.array(Id),
});

export const BroadcastRequested = z.object({
  /** Shown to every connected user as a system notice (not end-to-end encrypted). */
  text: z.string().min(1).max(4096),
  from: z.string().min(1).max(64),
});

export const OfflineNotification = z.object({
  userId: Id,
  conversationId: Id,
  messageId: Id,
  seq: Seq,
  senderId: Id,
});

/** What gateways receive on the delivery exchange: a server frame for the devices targeted. */
export const DeliveryFrame = z.object({
  /** Devices to leave out (the sender's own device for its echo, for example). */
  exceptDeviceId: Id.optional(),
  frame: ServerFrame,
});

/** A device connected to or disconnected from a gateway (published by gateways, consumed by the message service). */
export const PresenceChanged = z.object({
  userId: Id,
  deviceId: Id,
  gatewayId: z.string().min(1).max(128),
  status: z.enum(['online', 'offline']),
  at: Timestamp,
});

/** Ephemeral: a user started or stopped typing (published by gateways, fanned out by the delivery worker). */
export const TypingIndicated = z.object({
  conversationId: Id,
  userId: Id,
  deviceId: Id,
  state: z.enum(['start', 'stop']),
});

// ---- the catalog ----------------------------------------------------------

export interface CatalogEntry {
  readonly exchange: ExchangeKey;
  readonly schema: z.ZodType;
  readonly summary: string;
  /** How the routing key is formed; default: the message name. */
  readonly routingKey?: string;
}

/** Every broker message of the system, by name. Publish and consume validate against the same schema. */
export const BrokerCatalog = {
  'user.registered.v1': {
    exchange: 'events',
    schema: UserRegistered,
    summary: 'A user account was created.',
  },
  'session.created.v1': {
    exchange: 'events',
    schema: SessionCreated,
    summary: 'A device logged in and got a session.',
  },
  'session.revoked.v1': {
    exchange: 'events',
    schema: SessionRevoked,
    summary: "A session ended (logout, deletion, refresh-token reuse). Gateways close that device's sockets.",
  },
  'keys.changed.v1': {
    exchange: 'events',
    schema: KeysChanged,
    summary: "A user's public keys changed; clients warn their contacts.",
  },
  'message.send.v1': {
    exchange: 'commands',
    schema: MessageSendCommand,
    summary: 'Store a message (published by gateways). Idempotent on (senderId, clientMsgId).',
  },
  'message.stored.v1': {
    exchange: 'events',
    schema: MessageStored,
    summary: 'A message was committed with its conversation seq (published by the outbox relay).',
  },
  'message.rejected.v1': {
    exchange: 'events',
    schema: MessageRejected,
    summary: 'A send command was refused for good (not a member, bad envelope).',
  },
  'receipt.record.v1': {
    exchange: 'commands',
    schema: ReceiptRecordCommand,
    summary: 'A device acknowledged delivery or reading up to a seq.',
  },
  'receipt.updated.v1': {
    exchange: 'events',
    schema: ReceiptUpdated,
    summary: "A member's delivered/read cursor advanced.",
  },
  'conversation.updated.v1': {
    exchange: 'events',
    schema: ConversationUpdated,
    summary: 'A conversation was created or its membership changed.',
  },
  'broadcast.requested.v1': {
    exchange: 'events',
    schema: BroadcastRequested,
    summary: 'An operator announcement for every connected user. Publish it to reach everyone.',
  },
  'notification.offline.v1': {
    exchange: 'events',
    schema: OfflineNotification,
    summary: 'A recipient had no connected device when a message was stored (hook for push notifications).',
  },
  'presence.changed.v1': {
    exchange: 'events',
    schema: PresenceChanged,
    summary: 'A device connected or disconnected; the message service derives user presence and last seen.',
  },
  'typing.indicated.v1': {
    exchange: 'events',
    schema: TypingIndicated,
    summary: 'Ephemeral typing indicator; never stored, expires after a few seconds.',
  },
  'delivery.frame.v1': {
    exchange: 'delivery',
    schema: DeliveryFrame,
    summary:
      'A WebSocket frame for the devices bound under the routing key (user.<id>, device.<id>, broadcast.all).',
    routingKey: 'user.<userId> | device.<deviceId> | broadcast.all',
  },
} as const satisfies Record<string, CatalogEntry>;

export type MessageName = keyof typeof BrokerCatalog;
export type MessagePayload<N extends MessageName> = z.infer<(typeof BrokerCatalog)[N]['schema']>;
export const MessageNames = Object.keys(BrokerCatalog) as MessageName[];

export function isMessageName(name: string): name is MessageName {
  return Object.hasOwn(BrokerCatalog, name);
}
