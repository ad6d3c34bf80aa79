export { Backoff, type BackoffOptions } from './backoff.js';
export { type ClientOptions, ImClient } from './client.js';
export { type AcceptResult, ConversationLog } from './conversation-log.js';
export { type Listener, TypedEmitter } from './emitter.js';
export type {
  ClientError,
  ClientEvents,
  ConnectionState,
  DisconnectInfo,
  MessageStatus,
  OutgoingMessage,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';
