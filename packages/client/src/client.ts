import {
  type ClientFrame,
  ErrorCatalog,
  HistoryPage,
  type Member,
  type SealedEnvelope,
  ServerFrame,
  type ServerFrameOf,
  type StoredMessage,
} from '@im/contracts';
import { Backoff, type BackoffOptions } from './backoff.js';
import { ConversationLog } from './conversation-log.js';
import { TypedEmitter } from './emitter.js';
import type {
  ClientEvents,
  ConnectionState,
  MessageStatus,
  OutgoingMessage,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';

export interface ClientOptions {
  /**
   * The gateway endpoint, e.g. `wss://chat.example.com/v1/ws` (never with a token in it), or a
   * function called before every (re)connection, to spread over several gateways without a load balancer.
   */
  url: string | (() => string);
  /** Returns a current access token; called before every (re)connection and HTTP call, so it may refresh. */
  token: () => string | Promise<string>;
  /** WebSocket class: pass `ws`'s `WebSocket` in Node; default the global one (browsers). */
  WebSocket?: WebSocketConstructor;
  /**
   * How the token is presented: `header` (Authorization header on the upgrade, Node only) or `frame`
   * (an `auth` frame first, what browsers must use). Default: `header` when `WebSocket` is given, else `frame`.
   */
  authMode?: 'header' | 'frame';
  /** The HTTP API, for repairing gaps (`GET /v1/conversations/:id/messages?after=`). Without it, gaps are repaired with a `sync` frame. */
  api?: { baseUrl: string; fetch?: typeof fetch };
  /** What the application already holds: highest seq per conversation (from its own storage). */
  cursors?: Record<string, number>;
  reconnect?: BackoffOptions;
  /** Acks are coalesced per conversation for this long, ms (default 100). */
  ackDelayMs?: number;
  /** How long a gap may wait for the missing message before it is repaired, ms (default 300). */
  gapRepairDelayMs?: number;
  /**
   * A message with no answer (neither `message.sent` nor an error) after this long is sent
   * again with the same clientMsgId, backing off up to 8×, ms (default 10 000).
   */
  resendAfterMs?: number;
  /** Give up on a connection that has not said `ready` after this long, ms (default 15 000). */
  readyTimeoutMs?: number;
}

interface Outgoing {
  readonly clientMsgId: string;
  readonly conversationId: string;
  readonly envelope: SealedEnvelope;
  status: MessageStatus;
  messageId?: string;
  seq?: number;
  deliveredCount: number;
  readCount: number;
  error?: { code: string; message: string };
  attempts: number;
  retryTimer?: ReturnType<typeof setTimeout>;
}

interface MemberCursor {
  deliveredSeq: number;
  readSeq: number;
}

const OPEN = 1;
/** Close codes after which reconnecting cannot help: the session is revoked, the origin or user is refused. */
const FINAL_CLOSE_CODES = new Set([4403]);
const AUTH_CLOSE_CODE = 4401;
const MAX_KEPT_OUTGOING = 5_000;
const HISTORY_PAGE = 200;

/**
 * A client of the gateway's WebSocket protocol (docs/protocol.md): keeps a
 * connection up with backoff, resends unsent messages with the same
 * clientMsgId, hands over each message once and in seq order per
 * conversation, repairs gaps, acks contiguously, and tracks the status of the
 * messages it sends.
 *
 * ```ts
 * const client = new ImClient({ url, token: () => session.accessToken, WebSocket });
 * client.on('message', (m) => show(m));
 * client.connect();
 * await client.until('live');
 * client.send(conversationId, envelope);
 * ```
 */
export class ImClient extends TypedEmitter<ClientEvents> {
  readonly #options: ClientOptions;
  readonly #WebSocket: WebSocketConstructor;
  readonly #authMode: 'header' | 'frame';
  readonly #backoff: Backoff;

  #state: ConnectionState = 'offline';
  #stopped = true;
  #attempt = 0;
  #socket: WebSocketLike | undefined;
  #identity: { userId: string; deviceId: string } | undefined;
  #rejectedToken: string | undefined;
  #lastReceivedAt = 0;
  #closeWaiters: Array<() => void> = [];

  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;

  /** Frames waiting for the rate limit; the connection's own, dropped with it. */
  #queue: string[] = [];
  #rate = 10;
  #burst = 5;
  #tokens = 0;
  #refilledAt = 0;

  readonly #logs = new Map<string, ConversationLog>();
  readonly #acked = new Map<string, number>();
  /** The highest read position per conversation (re-sent after each reconnection; idempotent). */
  readonly #reads = new Map<string, number>();
  readonly #outgoing = new Map<string, Outgoing>();
  readonly #receipts = new Map<string, Map<string, MemberCursor>>();
  readonly #gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #gapBackoff = new Map<string, Backoff>();
  #syncRequested = false;

  constructor(options: ClientOptions) {
    super();
    this.#options = options;
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!ctor)
      throw new TypeError('No WebSocket implementation: pass options.WebSocket (the ws package in Node)');
    this.#WebSocket = ctor;
    this.#authMode = options.authMode ?? (options.WebSocket ? 'header' : 'frame');
    this.#backoff = new Backoff(options.reconnect);
    for (const [conversationId, seq] of Object.entries(options.cursors ?? {})) {
      this.#logs.set(conversationId, new ConversationLog(seq));
      this.#acked.set(conversationId, seq);
    }
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Who this connection is, once `ready` was received. */
  get identity(): { userId: string; deviceId: string } | undefined {
    return this.#identity;
  }

  /** Starts connecting (and reconnecting after every drop) until `close()`. */
  connect(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#rejectedToken = undefined;
    this.#backoff.reset();
    void this.#open();
  }

  /** Resolves once the client is in `state` (at once if it is). */
  async until(state: ConnectionState, timeoutMs?: number): Promise<void> {
    if (this.#state === state) return;
    await this.next('state', (s) => s === state, timeoutMs);
  }

  /** Flushes pending acks, closes the connection and stops reconnecting. Unsent messages stay pending. */
  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#flushAcks();
    const socket = this.#socket;
    if (!socket) {
      this.#setState('offline');
      return;
    }
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    socket.close(1000, 'client closing');
    // A dead peer never answers the close handshake; do not wait for it.
    const timer = setTimeout(() => this.#onClose(this.#attempt, 1006, 'close handshake timed out'), 2_000);
    await closed;
    clearTimeout(timer);
  }

  /**
   * Sends a sealed message. Its clientMsgId (from the envelope) identifies it:
   * calling again with the same one does nothing. It stays `pending` until the
   * server stores it, and is resent after every reconnection until then.
   */
  send(conversationId: string, envelope: SealedEnvelope): OutgoingMessage {
    if (envelope.conversationId !== conversationId) {
      throw new TypeError('envelope.conversationId does not match the conversation');
    }
    const existing = this.#outgoing.get(envelope.clientMsgId);
    if (existing) return snapshot(existing);
    const record: Outgoing = {
      clientMsgId: envelope.clientMsgId,
      conversationId,
      envelope,
      status: 'pending',
      deliveredCount: 0,
      readCount: 0,
      attempts: 0,
    };
    this.#outgoing.set(record.clientMsgId, record);
    this.#pruneOutgoing();
    this.emit('status', snapshot(record));
    if (this.#isSessionUp()) this.#transmit(record);
    return snapshot(record);
  }

  /** The status of a message sent by this client. */
  status(clientMsgId: string): OutgoingMessage | undefined {
    const record = this.#outgoing.get(clientMsgId);
    return record && snapshot(record);
  }

  /** Every message of this client still waiting to be stored. */
  pending(): OutgoingMessage[] {
    return [...this.#outgoing.values()].filter((r) => r.status === 'pending').map(snapshot);
  }

  /**
   * Tells the other members that this user has read everything up to `seq`.
   * Offline, the highest one per conversation is kept and sent after `ready`.
   */
  markRead(conversationId: string, seq: number): void {
    if (seq <= (this.#reads.get(conversationId) ?? -1)) return;
    this.#reads.set(conversationId, seq);
    this.#sendFrame({ type: 'read', conversationId, seq });
  }

  typing(conversationId: string, state: 'start' | 'stop'): void {
    this.#sendFrame({ type: 'typing', conversationId, state });
  }

  /** Asks the server to send everything this device has not acknowledged again. */
  sync(): void {
    this.#sendFrame({ type: 'sync' });
  }

  /** The highest seq of a conversation this client holds with nothing missing below it. */
  cursor(conversationId: string): number | undefined {
    return this.#logs.get(conversationId)?.contiguous;
  }

  /**
   * Declares that the application holds everything of a conversation up to
   * `seq` (after loading history over HTTP, for example after a `resync`).
   */
  setCursor(conversationId: string, seq: number): void {
    const log = this.#logs.get(conversationId);
    if (!log || log.contiguous === undefined) {
      this.#logs.set(conversationId, new ConversationLog(seq));
      return;
    }
    for (const message of log.skipTo(seq)) this.emit('message', message);
    this.#scheduleAck();
  }

  /** Seeds the members' delivered/read cursors from a conversation loaded over HTTP. */
  applyMembers(
    conversationId: string,
    members: ReadonlyArray<Pick<Member, 'userId' | 'deliveredSeq' | 'readSeq'>>,
  ): void {
    for (const member of members)
      this.#applyReceipt(conversationId, member.userId, member.deliveredSeq, member.readSeq);
  }

  /** Which other members have a seq of a conversation on a device, and have read it (from the receipts seen). */
  receiptsFor(conversationId: string, seq: number): { deliveredTo: string[]; readBy: string[] } {
    const deliveredTo: string[] = [];
    const readBy: string[] = [];
    for (const [userId, cursor] of this.#receipts.get(conversationId) ?? []) {
      if (userId === this.#identity?.userId) continue;
      if (cursor.deliveredSeq >= seq) deliveredTo.push(userId);
      if (cursor.readSeq >= seq) readBy.push(userId);
    }
    return { deliveredTo, readBy };
  }

  /** A throwing listener is reported as an `error` event (an `error` listener that throws is rethrown). */
  protected override listenerFailed(error: unknown, event: keyof ClientEvents): void {
    if (event === 'error') super.listenerFailed(error, event);
    else this.#report('CLIENT_LISTENER_FAILED', `a '${String(event)}' listener threw: ${describe(error)}`);
  }

  // ---- connection -----------------------------------------------------------

  async #open(): Promise<void> {
    const attempt = ++this.#attempt;
    this.#setState('connecting');
    let token: string;
    try {
      token = await this.#options.token();
    } catch (error) {
      this.#report('CLIENT_TOKEN_FAILED', `could not get an access token: ${describe(error)}`);
      this.#scheduleReconnect(1006, 'no token');
      return;
    }
    if (attempt !== this.#attempt || this.#stopped) return;
    if (token === this.#rejectedToken) {
      this.#stopped = true;
      this.#report(
        'AUTH_TOKEN_INVALID',
        'the gateway refused this access token; provide a new one and connect again',
      );
      this.#setState('offline');
      this.emit('disconnected', { code: AUTH_CLOSE_CODE, reason: 'token refused', reconnectInMs: null });
      return;
    }
    let socket: WebSocketLike;
    try {
      const url = typeof this.#options.url === 'function' ? this.#options.url() : this.#options.url;
      socket =
        this.#authMode === 'header'
          ? new this.#WebSocket(url, undefined, { headers: { authorization: `Bearer ${token}` } })
          : new this.#WebSocket(url);
    } catch (error) {
      this.#report('CLIENT_CONNECT_FAILED', describe(error));
      this.#scheduleReconnect(1006, 'could not open a socket');
      return;
    }
    this.#socket = socket;
    this.#lastReceivedAt = Date.now();
    socket.onopen = () => {
      if (attempt !== this.#attempt) return;
      if (this.#authMode === 'frame') socket.send(JSON.stringify({ type: 'auth', token }));
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (attempt === this.#attempt) this.#onData(event.data, token);
    };
    socket.onclose = (event: { code: number; reason: string }) =>
      this.#onClose(attempt, event.code, event.reason);
    // An error is always followed by a close event; the close decides what happens next.
    socket.onerror = () => undefined;
    this.#readyTimer = setTimeout(() => {
      if (attempt === this.#attempt && this.#state === 'connecting')
        this.#abandon(4408, 'no ready frame in time');
    }, this.#options.readyTimeoutMs ?? 15_000);
  }

  #onClose(attempt: number, code: number, reason: string): void {
    if (attempt !== this.#attempt || !this.#socket) return;
    this.#teardownSocket();
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
    if (this.#stopped) {
      this.#setState('offline');
      this.emit('disconnected', { code, reason, reconnectInMs: null });
      return;
    }
    if (FINAL_CLOSE_CODES.has(code)) {
      this.#stopped = true;
      this.#setState('offline');
      this.emit('disconnected', { code, reason, reconnectInMs: null });
      return;
    }
    this.#scheduleReconnect(code, reason);
  }

  /** Drops a connection that looks dead without waiting for its close handshake. */
  #abandon(code: number, reason: string): void {
    const socket = this.#socket;
    if (!socket) return;
    try {
      socket.close(4000, reason);
    } catch (error) {
      this.#report('CLIENT_CLOSE_FAILED', describe(error));
    }
    this.#onClose(this.#attempt, code, reason);
  }

  #teardownSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
    }
    clearTimeout(this.#readyTimer);
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
    // Sends are resent, acks recomputed and reads repeated after the next `ready`.
    this.#queue = [];
    for (const timer of this.#gapTimers.values()) clearTimeout(timer);
    this.#gapTimers.clear();
    for (const record of this.#outgoing.values()) clearTimeout(record.retryTimer);
    this.#syncRequested = false;
  }

  #scheduleReconnect(code: number, reason: string): void {
    const delay = this.#backoff.next();
    this.#setState('offline');
    this.emit('disconnected', { code, reason, reconnectInMs: delay });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (!this.#stopped) void this.#open();
    }, delay);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  #isSessionUp(): boolean {
    return (this.#state === 'syncing' || this.#state === 'live') && this.#socket?.readyState === OPEN;
  }

  /**
   * Queues a frame for this connection. Frames leave at most at the rate the
   * gateway announced in `ready`, so a burst (hundreds of sends after a
   * reconnect) is paced instead of refused with WS_RATE_LIMITED.
   */
  #sendFrame(frame: ClientFrame): boolean {
    if (!this.#isSessionUp() || !this.#socket) return false;
    this.#queue.push(JSON.stringify(frame));
    this.#pump();
    return true;
  }

  #pump(): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return;
    const now = Date.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#rate);
    this.#refilledAt = now;
    while (this.#queue.length > 0 && this.#tokens >= 1) {
      socket.send(this.#queue.shift()!);
      this.#tokens -= 1;
    }
    if (this.#queue.length > 0 && !this.#pumpTimer) {
      this.#pumpTimer = setTimeout(
        () => {
          this.#pumpTimer = undefined;
          this.#pump();
        },
        Math.ceil(((1 - this.#tokens) / this.#rate) * 1000),
      );
    }
  }

  // ---- incoming frames ------------------------------------------------------

  #onData(data: unknown, token: string): void {
    this.#lastReceivedAt = Date.now();
    if (typeof data !== 'string') {
      this.#report('CLIENT_BAD_SERVER_FRAME', 'the server sent a binary frame');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.#report('CLIENT_BAD_SERVER_FRAME', 'the server sent a frame that is not JSON');
      return;
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) {
      this.#report(
        'CLIENT_BAD_SERVER_FRAME',
        `unexpected frame: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
      return;
    }
    const frame = parsed.data;
    switch (frame.type) {
      case 'ready':
        this.#onReady(frame);
        return;
      case 'pong':
        return;
      case 'message':
        this.#receive(frame.message);
        return;
      case 'message.sent':
        this.#onSent(frame);
        return;
      case 'receipt':
        this.#applyReceipt(frame.conversationId, frame.userId, frame.deliveredSeq, frame.readSeq);
        this.emit('receipt', frame);
        return;
      case 'typing':
        this.emit('typing', frame);
        return;
      case 'presence':
        this.emit('presence', frame);
        return;
      case 'conversation.updated':
        this.emit('conversation', frame);
        return;
      case 'keys.changed':
        this.emit('keys', frame);
        return;
      case 'broadcast':
        this.emit('broadcast', frame);
        return;
      case 'sync.done':
        this.#onSyncDone(frame);
        return;
      case 'error':
        this.#onError(frame, token);
        return;
    }
  }

  #onReady(frame: ServerFrameOf<'ready'>): void {
    clearTimeout(this.#readyTimer);
    this.#identity = { userId: frame.userId, deviceId: frame.deviceId };
    this.#rejectedToken = undefined;
    // Stay under the gateway's per-connection limit with room for jitter: 90 % of its rate, bursts of half a second.
    this.#rate = Math.max(1, frame.limits.framesPerSecond * 0.9);
    this.#burst = Math.max(1, Math.floor(frame.limits.framesPerSecond / 2));
    this.#tokens = this.#burst;
    this.#refilledAt = Date.now();
    this.#setState('syncing');
    const interval = frame.heartbeatIntervalMs;
    this.#heartbeatTimer = setInterval(() => {
      if (Date.now() - this.#lastReceivedAt > 2 * interval) this.#abandon(4000, 'heartbeat timeout');
      else this.#sendFrame({ type: 'ping' });
    }, interval);
    this.emit('ready', frame);
    if (frame.resync) this.emit('resync', frame.resync);
    for (const record of this.#outgoing.values()) if (record.status === 'pending') this.#transmit(record);
    for (const [conversationId, seq] of this.#reads) this.#sendFrame({ type: 'read', conversationId, seq });
  }

  #onSyncDone(frame: ServerFrameOf<'sync.done'>): void {
    this.#syncRequested = false;
    this.#backoff.reset();
    this.#setState('live');
    this.#flushAcks();
    for (const [conversationId, log] of this.#logs) if (log.hasGap) this.#scheduleGapRepair(conversationId);
    this.emit('synced', frame);
  }

  #onError(frame: ServerFrameOf<'error'>, token: string): void {
    if (frame.code === 'AUTH_TOKEN_INVALID' || frame.code === 'AUTH_TOKEN_EXPIRED')
      this.#rejectedToken = token;
    const record = frame.clientMsgId ? this.#outgoing.get(frame.clientMsgId) : undefined;
    if (record?.status !== 'pending') {
      this.emit('error', {
        code: frame.code,
        message: frame.message,
        ...(frame.ref ? { ref: frame.ref } : {}),
      });
      return;
    }
    if (ErrorCatalog[frame.code].retryable) {
      // Transient (the broker did not confirm, the gateway is busy): try again a little later.
      clearTimeout(record.retryTimer);
      record.retryTimer = setTimeout(
        () => {
          if (record.status === 'pending' && this.#isSessionUp()) this.#transmit(record);
        },
        Math.min(30_000, 500 * 2 ** Math.min(record.attempts, 6)),
      );
      return;
    }
    record.status = 'failed';
    record.error = { code: frame.code, message: frame.message };
    this.emit('status', snapshot(record));
  }

  #onSent(frame: ServerFrameOf<'message.sent'>): void {
    const record = this.#outgoing.get(frame.clientMsgId);
    if (!record) return;
    this.#markStored(record, frame.messageId, frame.seq);
  }

  #markStored(record: Outgoing, messageId: string, seq: number): void {
    if (record.status !== 'pending' && record.status !== 'failed') return;
    clearTimeout(record.retryTimer);
    record.status = 'sent';
    record.messageId = messageId;
    record.seq = seq;
    delete record.error;
    this.#refreshStatus(record);
    this.emit('status', snapshot(record));
  }

  #receive(message: StoredMessage): void {
    let log = this.#logs.get(message.conversationId);
    if (!log) {
      log = new ConversationLog();
      this.#logs.set(message.conversationId, log);
    }
    const { deliver, duplicate } = log.accept(message);
    // The server sends again what it thinks this device lacks: an ack of ours was lost. Ack again.
    if (duplicate) this.#acked.delete(message.conversationId);
    this.#deliver(deliver);
    this.#scheduleAck();
    if (log.hasGap) this.#scheduleGapRepair(message.conversationId);
  }

  #deliver(messages: StoredMessage[]): void {
    for (const message of messages) {
      if (message.senderDeviceId === this.#identity?.deviceId) {
        const record = this.#outgoing.get(message.clientMsgId);
        if (record) this.#markStored(record, message.id, message.seq);
      }
      this.emit('message', message);
    }
  }

  // ---- acks -----------------------------------------------------------------

  #scheduleAck(): void {
    if (this.#ackTimer) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.#flushAcks();
    }, this.#options.ackDelayMs ?? 100);
  }

  /** Acks, per conversation, the highest seq held with nothing missing below it. */
  #flushAcks(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (!this.#isSessionUp()) return;
    for (const [conversationId, log] of this.#logs) {
      const seq = log.contiguous;
      if (seq === undefined || seq <= (this.#acked.get(conversationId) ?? -1)) continue;
      if (this.#sendFrame({ type: 'ack', conversationId, seq })) this.#acked.set(conversationId, seq);
    }
  }

  // ---- gap repair -----------------------------------------------------------

  #scheduleGapRepair(conversationId: string): void {
    if (this.#state !== 'live' || this.#gapTimers.has(conversationId)) return;
    let backoff = this.#gapBackoff.get(conversationId);
    if (!backoff) {
      backoff = new Backoff({ initialDelayMs: 1_000, maxDelayMs: 30_000 });
      this.#gapBackoff.set(conversationId, backoff);
    }
    const delay = backoff.attempts === 0 ? (this.#options.gapRepairDelayMs ?? 300) : backoff.next();
    if (backoff.attempts === 0) backoff.next();
    this.#gapTimers.set(
      conversationId,
      setTimeout(() => {
        this.#gapTimers.delete(conversationId);
        void this.#repairGap(conversationId);
      }, delay),
    );
  }

  async #repairGap(conversationId: string): Promise<void> {
    const log = this.#logs.get(conversationId);
    if (!log?.hasGap || this.#state !== 'live') return;
    if (!this.#options.api) {
      // The server re-sends everything after this device's cursor, which is at most our contiguous seq.
      if (!this.#syncRequested && this.#sendFrame({ type: 'sync' })) this.#syncRequested = true;
      this.#scheduleGapRepair(conversationId);
      return;
    }
    try {
      while (log.hasGap) {
        const after = log.contiguous ?? 0;
        const page = await this.#fetchHistory(conversationId, after);
        const first = page.messages[0];
        if (!first) {
          // Nothing exists between what we hold and what waits: those messages are gone (retention).
          this.#deliver(log.skipTo((log.firstAhead ?? after + 1) - 1));
          break;
        }
        if (first.seq > after + 1) this.#deliver(log.skipTo(first.seq - 1));
        for (const message of page.messages) this.#deliver(log.accept(message).deliver);
        // No progress (the server returned only what we hold): stop rather than ask again at once.
        if (!page.hasMore || log.contiguous === after) break;
      }
      this.#gapBackoff.delete(conversationId);
      this.#scheduleAck();
    } catch (error) {
      this.#report('CLIENT_GAP_REPAIR_FAILED', `conversation ${conversationId}: ${describe(error)}`);
      this.#scheduleGapRepair(conversationId);
    }
  }

  async #fetchHistory(
    conversationId: string,
    after: number,
  ): Promise<{ messages: StoredMessage[]; hasMore: boolean }> {
    const api = this.#options.api!;
    const doFetch = api.fetch ?? fetch;
    const url = new URL(`/v1/conversations/${encodeURIComponent(conversationId)}/messages`, api.baseUrl);
    url.searchParams.set('after', String(after));
    url.searchParams.set('limit', String(HISTORY_PAGE));
    const response = await doFetch(url, {
      headers: { authorization: `Bearer ${await this.#options.token()}` },
    });
    if (!response.ok) throw new Error(`history answered HTTP ${response.status}`);
    return HistoryPage.parse(await response.json());
  }

  // ---- statuses ---------------------------------------------------------------

  #transmit(record: Outgoing): void {
    record.attempts += 1;
    this.#sendFrame({
      type: 'message.send',
      clientMsgId: record.clientMsgId,
      conversationId: record.conversationId,
      envelope: record.envelope,
    });
    // No answer at all (an ack lost to a crash anywhere on the path): send it again. The
    // clientMsgId makes that a no-op on the server if the first one was stored.
    clearTimeout(record.retryTimer);
    const silence = this.#options.resendAfterMs ?? 10_000;
    record.retryTimer = setTimeout(
      () => {
        if (record.status === 'pending' && this.#isSessionUp()) this.#transmit(record);
      },
      Math.min(60_000, silence * 2 ** Math.min(record.attempts - 1, 3)),
    );
  }

  #applyReceipt(conversationId: string, userId: string, deliveredSeq: number, readSeq: number): void {
    let members = this.#receipts.get(conversationId);
    if (!members) {
      members = new Map();
      this.#receipts.set(conversationId, members);
    }
    const known = members.get(userId);
    members.set(userId, {
      deliveredSeq: Math.max(deliveredSeq, known?.deliveredSeq ?? 0),
      readSeq: Math.max(readSeq, known?.readSeq ?? 0),
    });
    if (userId === this.#identity?.userId) return;
    for (const record of this.#outgoing.values()) {
      if (record.conversationId !== conversationId || record.seq === undefined) continue;
      const before = `${record.status}/${record.deliveredCount}/${record.readCount}`;
      this.#refreshStatus(record);
      if (`${record.status}/${record.deliveredCount}/${record.readCount}` !== before)
        this.emit('status', snapshot(record));
    }
  }

  #refreshStatus(record: Outgoing): void {
    if (record.seq === undefined) return;
    const { deliveredTo, readBy } = this.receiptsFor(record.conversationId, record.seq);
    record.deliveredCount = deliveredTo.length;
    record.readCount = readBy.length;
    record.status = readBy.length > 0 ? 'read' : deliveredTo.length > 0 ? 'delivered' : 'sent';
  }

  #pruneOutgoing(): void {
    if (this.#outgoing.size <= MAX_KEPT_OUTGOING) return;
    for (const [clientMsgId, record] of this.#outgoing) {
      if (this.#outgoing.size <= MAX_KEPT_OUTGOING) return;
      if (record.status !== 'pending') this.#outgoing.delete(clientMsgId);
    }
  }

  #report(code: string, message: string): void {
    this.emit('error', { code, message });
  }
}

function snapshot(record: Outgoing): OutgoingMessage {
  return {
    clientMsgId: record.clientMsgId,
    conversationId: record.conversationId,
    status: record.status,
    deliveredCount: record.deliveredCount,
    readCount: record.readCount,
    ...(record.messageId === undefined ? {} : { messageId: record.messageId }),
    ...(record.seq === undefined ? {} : { seq: record.seq }),
    ...(record.error === undefined ? {} : { error: record.error }),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
