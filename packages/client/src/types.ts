import type { ServerFrameOf, StoredMessage } from '@im/contracts';

/**
 * The part of a WebSocket the client uses: satisfied by the browser's
 * `WebSocket` and by the `ws` package's. Handlers are typed `never` so both
 * event types fit; the client reads only `data`, `code` and `reason`.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** A WebSocket class: the browser's (url, protocols) or `ws`'s (url, protocols, { headers }). */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

export type ConnectionState =
  /** Opening the socket and authenticating. */
  | 'connecting'
  /** Authenticated (`ready` received); the server is draining what this device missed. */
  | 'syncing'
  /** Caught up (`sync.done` received); messages arrive as they are sent. */
  | 'live'
  /** Not connected: waiting to reconnect, or closed. */
  | 'offline';

export type MessageStatus =
  /** Not stored yet: sent (or waiting to be sent) to the gateway; resent after a reconnect. */
  | 'pending'
  /** Stored by the server, with its id and seq. */
  | 'sent'
  /** At least one other member has it on a device. */
  | 'delivered'
  /** At least one other member has read it. */
  | 'read'
  /** Refused for good (see `error`); will not be resent. */
  | 'failed';

/** The state of a message this client sent. */
export interface OutgoingMessage {
  readonly clientMsgId: string;
  readonly conversationId: string;
  readonly status: MessageStatus;
  /** Set once stored. */
  readonly messageId?: string;
  readonly seq?: number;
  /** Other members that have it on a device / have read it (a direct chat: 0 or 1; a group: counts). */
  readonly deliveredCount: number;
  readonly readCount: number;
  /** Why it failed (status `failed`). */
  readonly error?: { code: string; message: string };
}

export interface ClientError {
  /** A catalog code from the server, or CLIENT_* for a failure on this side. */
  code: string;
  message: string;
  ref?: string;
}

export interface DisconnectInfo {
  /** WebSocket close code (1006: the connection dropped without a close frame). */
  code: number;
  reason: string;
  /** When the next attempt starts; null when the client will not reconnect (closed, session revoked). */
  reconnectInMs: number | null;
}

export interface ClientEvents {
  state: ConnectionState;
  /** Each successful (re)connection. */
  ready: ServerFrameOf<'ready'>;
  /** The offline drain is done; the client is live. */
  synced: ServerFrameOf<'sync.done'>;
  /** A message of any conversation, once each, in seq order per conversation. Includes this user's own. */
  message: StoredMessage;
  /** A change of an outgoing message's status. */
  status: OutgoingMessage;
  receipt: ServerFrameOf<'receipt'>;
  typing: ServerFrameOf<'typing'>;
  presence: ServerFrameOf<'presence'>;
  conversation: ServerFrameOf<'conversation.updated'>;
  keys: ServerFrameOf<'keys.changed'>;
  broadcast: ServerFrameOf<'broadcast'>;
  /** This device cannot be caught up from its cursors: load recent history over HTTP. */
  resync: NonNullable<ServerFrameOf<'ready'>['resync']>;
  error: ClientError;
  disconnected: DisconnectInfo;
}
