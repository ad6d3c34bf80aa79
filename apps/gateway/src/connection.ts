import { randomUUID } from 'node:crypto';
import type { RevocationList, Verifier } from '@im/auth-client';
import type { Broker } from '@im/broker';
import {
  type ClientFrame,
  ErrorCatalog,
  type ErrorCode,
  isAppError,
  PROTOCOL_VERSION,
  type ServerFrame,
  type StoredMessage,
  wsCloseCode,
} from '@im/contracts';
import type { Logger } from '@im/logger';
import type { RawData, WebSocket } from 'ws';
import { parseClientFrame, serializeFrame } from './frames.js';
import type { GatewayLimits } from './limits.js';
import type { MessageServiceClient, PendingPage } from './message-service-client.js';
import type { GatewayMetrics } from './metrics.js';
import { TokenBucket, ViolationCounter } from './rate-limit.js';

/** What every connection of a gateway shares. */
export interface GatewayContext {
  readonly broker: Broker;
  readonly verifier: Verifier;
  readonly revocations: RevocationList | undefined;
  readonly messageService: MessageServiceClient;
  readonly instanceId: string;
  readonly limits: GatewayLimits;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/** The registry a connection joins once authenticated (the Hub). */
export interface ConnectionRegistry {
  /** Adds the connection under its user and device; false when the user has too many here. */
  register(connection: Connection): boolean;
  /** Binds the user's and device's routing keys to this gateway's queue (resolves once bound). */
  attach(connection: Connection): Promise<void>;
  /** Called once when the connection is gone. */
  detach(connection: Connection): void;
}

export interface Identity {
  readonly userId: string;
  readonly deviceId: string;
}

type Phase =
  /** Waiting for a token (header verification or the `auth` frame). */
  | 'authenticating'
  /** `ready` sent; the offline drain runs; live messages are held back. */
  | 'syncing'
  | 'live'
  | 'closed';

const PAGE_RETRY_DELAYS_MS = [250, 1_000];
/** Frames waiting for their publish, at least; the rate limit bounds the inflow, this a stalled broker. */
const MIN_QUEUED_FRAMES = 256;
const MAX_EARLY_FRAMES = 32;
const MAX_TYPING_ENTRIES = 256;
const SLOW_CONSUMER_GRACE_MS = 5_000;

/**
 * One WebSocket connection: authentication, the offline drain followed by live
 * delivery, the client's frames, and every per-connection limit. It never
 * throws into the socket's event handlers: each failure becomes an error
 * frame, or a close with the catalog's code.
 */
export class Connection {
  readonly id = randomUUID();
  #phase: Phase = 'authenticating';
  #identity: Identity | undefined;
  #lastHeardAt = Date.now();
  #authTimer: NodeJS.Timeout | undefined;
  #authStarted = false;

  readonly #bucket: TokenBucket;
  readonly #violations: ViolationCounter;
  #work: Promise<void> = Promise.resolve();
  #queued = 0;
  #early: ClientFrame[] = [];

  /** Live frames held back before `ready` (all) and during a drain (messages). */
  #held: Array<{ frame: ServerFrame; text: string }> = [];
  #heldOverflow = false;
  /** Per conversation, the highest seq sent by a drain: anything at or below it was sent already. */
  readonly #drainedUpTo = new Map<string, number>();
  #draining = false;
  #syncAgain: { ref: string | undefined } | undefined;
  readonly #writeWaiters = new Set<() => void>();
  readonly #typingSentAt = new Map<string, number>();
  #log: Logger;

  constructor(
    private readonly socket: WebSocket,
    private readonly context: GatewayContext,
    private readonly registry: ConnectionRegistry,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    const { limits } = context;
    this.#bucket = new TokenBucket(limits.framesPerSecond, limits.frameBurst);
    this.#violations = new ViolationCounter(limits.maxRateLimitedFrames, limits.abuseWindowMs);
    this.#log = context.logger.child({ connectionId: this.id });
  }

  get identity(): Identity | undefined {
    return this.#identity;
  }

  get isOpen(): boolean {
    return !this.#closed();
  }

  /**
   * Starts the connection. With an Authorization header it authenticates at
   * once; without one it waits for an `auth` frame for `authTimeoutMs`.
   */
  start(authorization: string | undefined): void {
    this.socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    this.socket.on('pong', () => {
      this.#lastHeardAt = Date.now();
    });
    this.socket.on('close', (code) => this.#onSocketClosed(code));
    if (authorization !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      if (!token) {
        this.fail('AUTH_TOKEN_INVALID', 'The Authorization header must be "Bearer <access token>"');
        return;
      }
      this.#authenticate(token, undefined);
      return;
    }
    this.#authTimer = setTimeout(() => {
      if (!this.#authStarted) this.fail('WS_AUTH_TIMEOUT');
    }, this.context.limits.authTimeoutMs);
  }

  /** Heartbeat tick: terminates a connection not heard from in time, pings the others. */
  heartbeat(now: number): void {
    if (this.#closed()) return;
    if (now - this.#lastHeardAt > this.context.limits.heartbeatTimeoutMs) {
      this.#log.info({ silentMs: now - this.#lastHeardAt }, 'heartbeat timeout; terminating');
      this.#markClosed();
      this.context.metrics.closes.inc({ code: String(wsCloseCode('WS_HEARTBEAT_TIMEOUT')) });
      // A peer that does not answer pings will not answer a close handshake either.
      this.socket.terminate();
      return;
    }
    this.socket.ping();
  }

  /**
   * A frame from the broker for this connection (already serialized once for
   * all recipients). Held back before `ready`, and messages during a drain.
   */
  deliver(frame: ServerFrame, text: string): void {
    if (this.#closed()) return;
    const hold = this.#phase === 'authenticating' || (this.#draining && frame.type === 'message');
    if (!hold) {
      this.#sendText(frame.type, text);
      return;
    }
    if (this.#held.length >= this.context.limits.maxBufferedLiveFrames) {
      // Nothing is lost: every held message is in Postgres, and the drain runs once more before going live.
      this.#heldOverflow = true;
      this.#held = this.#held.filter((h) => h.frame.type !== 'message');
      if (this.#held.length >= this.context.limits.maxBufferedLiveFrames) this.#held.shift();
    }
    this.#held.push({ frame, text });
  }

  /** Sends an error frame and closes with the code's close code (no-op once closed). */
  fail(code: ErrorCode, message: string = ErrorCatalog[code].message, ref?: string): void {
    if (this.#closed()) return;
    this.#sendFrame({ type: 'error', code, message, ...(ref ? { ref } : {}) }, { force: true });
    this.#closeSocket(wsCloseCode(code), message);
  }

  // ---- incoming ---------------------------------------------------------------

  #onMessage(data: RawData, isBinary: boolean): void {
    this.#lastHeardAt = Date.now();
    if (this.#closed()) return;
    const parsed = parseClientFrame(data, isBinary);
    this.context.metrics.framesIn.inc({ type: parsed.ok ? parsed.frame.type : 'invalid' });
    if (!this.#bucket.take()) {
      this.context.metrics.rateLimitedFrames.inc();
      if (this.#violations.record()) {
        this.#log.warn('sustained frames over the rate limit; closing');
        this.fail('WS_RATE_LIMIT_EXCEEDED');
        return;
      }
      const ref = parsed.ok ? parsed.frame.ref : parsed.ref;
      const clientMsgId = parsed.ok
        ? parsed.frame.type === 'message.send'
          ? parsed.frame.clientMsgId
          : undefined
        : parsed.clientMsgId;
      this.#sendError('WS_RATE_LIMITED', undefined, ref, clientMsgId);
      return;
    }
    if (!parsed.ok) {
      this.#sendError('WS_BAD_FRAME', parsed.message, parsed.ref, parsed.clientMsgId);
      return;
    }
    const frame = parsed.frame;
    if (this.#phase === 'authenticating') {
      this.#onFrameBeforeReady(frame);
      return;
    }
    this.#onFrame(frame);
  }

  #onFrameBeforeReady(frame: ClientFrame): void {
    if (!this.#authStarted) {
      if (frame.type !== 'auth') {
        this.fail('AUTH_TOKEN_MISSING', 'Send an "auth" frame first (or an Authorization header)', frame.ref);
        return;
      }
      this.#authenticate(frame.token, frame.ref);
      return;
    }
    // Authentication is under way: keep what the client sends eagerly and handle it after `ready`.
    if (frame.type === 'auth' || this.#early.length >= MAX_EARLY_FRAMES) {
      this.#sendError('WS_BAD_FRAME', 'Wait for "ready" before sending more frames', frame.ref);
      return;
    }
    this.#early.push(frame);
  }

  #onFrame(frame: ClientFrame): void {
    switch (frame.type) {
      case 'ping':
        this.#sendFrame({
          type: 'pong',
          serverTime: new Date().toISOString(),
          ...(frame.ref ? { ref: frame.ref } : {}),
        });
        return;
      case 'auth':
        this.#sendError('WS_BAD_FRAME', 'This connection is already authenticated', frame.ref);
        return;
      case 'sync':
        this.#requestSync(frame.ref);
        return;
      case 'typing':
        this.#typing(frame);
        return;
      default:
        this.#enqueue(frame);
    }
  }

  /** Sends, acks and reads are handled one at a time, in order, so a client's messages keep its order. */
  #enqueue(frame: Extract<ClientFrame, { type: 'message.send' | 'ack' | 'read' }>): void {
    if (this.#queued >= Math.max(MIN_QUEUED_FRAMES, 4 * this.context.limits.frameBurst)) {
      const clientMsgId = frame.type === 'message.send' ? frame.clientMsgId : undefined;
      this.#sendError('UNAVAILABLE', 'The gateway is busy; retry later', frame.ref, clientMsgId);
      return;
    }
    this.#queued += 1;
    this.#work = this.#work
      .then(() => this.#handle(frame))
      .catch((error: unknown) => {
        this.#log.error({ err: error, frame: frame.type }, 'frame handling failed');
        this.#sendError('INTERNAL', undefined, frame.ref);
      })
      .finally(() => {
        this.#queued -= 1;
      });
  }

  async #handle(frame: Extract<ClientFrame, { type: 'message.send' | 'ack' | 'read' }>): Promise<void> {
    if (this.#closed() || !this.#identity) return;
    const { userId, deviceId } = this.#identity;
    if (frame.type !== 'message.send') {
      await this.#publishOrReport(frame.ref, undefined, () =>
        this.context.broker.publish('receipt.record.v1', {
          conversationId: frame.conversationId,
          userId,
          deviceId,
          kind: frame.type === 'ack' ? 'delivered' : 'read',
          seq: frame.seq,
        }),
      );
      return;
    }
    const { envelope } = frame;
    if (Buffer.byteLength(JSON.stringify(envelope)) > this.context.limits.maxEnvelopeBytes) {
      this.#sendError(
        'MSG_ENVELOPE_TOO_LARGE',
        `The envelope exceeds ${this.context.limits.maxEnvelopeBytes} bytes`,
        frame.ref,
        frame.clientMsgId,
      );
      return;
    }
    if (
      envelope.conversationId !== frame.conversationId ||
      envelope.clientMsgId !== frame.clientMsgId ||
      envelope.senderId !== userId
    ) {
      this.#sendError(
        'WS_BAD_FRAME',
        "The envelope's conversationId, clientMsgId and senderId must match the frame and your user",
        frame.ref,
        frame.clientMsgId,
      );
      return;
    }
    await this.#publishOrReport(frame.ref, frame.clientMsgId, () =>
      this.context.broker.publish(
        'message.send.v1',
        {
          clientMsgId: frame.clientMsgId,
          conversationId: frame.conversationId,
          senderId: userId,
          senderDeviceId: deviceId,
          envelope,
          receivedAt: new Date().toISOString(),
        },
        // A resend of the same message carries the same id, so the broker hop deduplicates too.
        { messageId: `${userId}:${frame.clientMsgId}` },
      ),
    );
  }

  async #publishOrReport(
    ref: string | undefined,
    clientMsgId: string | undefined,
    publish: () => Promise<unknown>,
  ) {
    try {
      await publish();
    } catch (error) {
      const code: ErrorCode = isAppError(error) ? error.code : 'UNAVAILABLE';
      this.#log.warn({ err: error, code }, 'publish failed; told the client');
      this.#sendError(
        code,
        ErrorCatalog[code].retryable ? 'Not accepted; send it again later' : undefined,
        ref,
        clientMsgId,
      );
    }
  }

  #typing(frame: Extract<ClientFrame, { type: 'typing' }>): void {
    if (!this.#identity) return;
    const now = Date.now();
    const last = this.#typingSentAt.get(frame.conversationId);
    if (frame.state === 'start') {
      if (last !== undefined && now - last < this.context.limits.typingThrottleMs) return;
      if (this.#typingSentAt.size >= MAX_TYPING_ENTRIES) this.#typingSentAt.clear();
      this.#typingSentAt.set(frame.conversationId, now);
    } else {
      // A stop without a start that went out tells nobody anything.
      if (last === undefined) return;
      this.#typingSentAt.delete(frame.conversationId);
    }
    const { userId, deviceId } = this.#identity;
    this.context.broker
      .publish(
        'typing.indicated.v1',
        { conversationId: frame.conversationId, userId, deviceId, state: frame.state },
        { persistent: false, expirationMs: this.context.limits.typingTtlMs },
      )
      .catch((error: unknown) => {
        // Ephemeral: a lost typing indicator is not worth an error frame.
        this.#log.debug({ err: error }, 'typing indicator not published');
      });
  }

  // ---- authentication and drain ----------------------------------------------

  #authenticate(token: string, ref: string | undefined): void {
    this.#authStarted = true;
    clearTimeout(this.#authTimer);
    void this.#establish(token, ref).catch((error: unknown) => {
      this.#log.error({ err: error }, 'connection set-up failed');
      this.fail('INTERNAL', undefined, ref);
    });
  }

  async #establish(token: string, ref: string | undefined): Promise<void> {
    let identity: Identity;
    try {
      const verified = await this.context.verifier.verify(token);
      identity = { userId: verified.userId, deviceId: verified.sessionId };
    } catch (error) {
      const code: ErrorCode = isAppError(error) ? error.code : 'AUTH_TOKEN_INVALID';
      this.#log.info({ code }, 'authentication refused');
      this.fail(code === 'UNAVAILABLE' ? 'WS_UPSTREAM_UNAVAILABLE' : code, undefined, ref);
      return;
    }
    if (this.#closed()) return;
    this.#identity = identity;
    this.#log = this.#log.child({ userId: identity.userId, deviceId: identity.deviceId });
    if (!this.registry.register(this)) {
      this.fail('WS_TOO_MANY_CONNECTIONS', undefined, ref);
      return;
    }
    // A revocation that arrived between the verification and the registration.
    if (this.context.revocations?.isRevoked(identity.deviceId)) {
      this.fail('AUTH_SESSION_REVOKED', undefined, ref);
      return;
    }
    try {
      await this.registry.attach(this);
    } catch (error) {
      this.#log.error({ err: error }, 'could not bind the routing keys');
      this.fail('WS_UPSTREAM_UNAVAILABLE', undefined, ref);
      return;
    }
    if (this.#closed()) return;
    // Bound and holding live frames: now read what is pending, so nothing falls between the two.
    this.#heldOverflow = false;
    let first: PendingPage;
    try {
      first = await this.#fetchPage(undefined);
    } catch (error) {
      this.#log.warn({ err: error }, 'offline queue unavailable; closing');
      this.fail('WS_UPSTREAM_UNAVAILABLE', undefined, ref);
      return;
    }
    if (this.#closed()) return;
    const { limits } = this.context;
    this.#phase = 'syncing';
    this.#draining = true;
    this.#sendFrame({
      type: 'ready',
      protocol: PROTOCOL_VERSION,
      userId: identity.userId,
      deviceId: identity.deviceId,
      serverTime: new Date().toISOString(),
      heartbeatIntervalMs: limits.heartbeatIntervalMs,
      limits: {
        maxFrameBytes: limits.maxFrameBytes,
        maxEnvelopeBytes: limits.maxEnvelopeBytes,
        framesPerSecond: limits.framesPerSecond,
      },
      resync: first.resync ? { reason: first.resync } : null,
    });
    // Frames held before `ready`, except messages (the drain decides about those).
    const held = this.#held;
    this.#held = held.filter((h) => h.frame.type === 'message');
    for (const h of held) if (h.frame.type !== 'message') this.#sendText(h.frame.type, h.text);
    for (const frame of this.#early.splice(0)) this.#onFrame(frame);
    await this.#drain(ref, first, true);
  }

  /** Drains the offline queue again on the server's initiative (the live path may have lost frames). */
  resync(): void {
    if (this.#phase === 'live' || this.#phase === 'syncing') this.#requestSync(undefined);
  }

  #requestSync(ref: string | undefined): void {
    if (this.#draining) {
      this.#syncAgain = { ref };
      return;
    }
    // An explicit request re-sends everything pending, even what this connection sent before.
    this.#drainedUpTo.clear();
    this.#draining = true;
    this.#phase = 'syncing';
    void this.#drain(ref, undefined, false);
  }

  /**
   * Streams the pending messages in order, says `sync.done`, then releases the
   * live messages held meanwhile, skipping those the drain already sent.
   */
  async #drain(ref: string | undefined, first: PendingPage | undefined, initial: boolean): Promise<void> {
    let delivered = 0;
    try {
      let page = first;
      do {
        delivered += await this.#drainPass(page);
        page = undefined;
      } while (this.#heldOverflow && !this.#closed());
    } catch (error) {
      if (this.#closed()) return;
      if (initial) {
        this.#log.warn({ err: error }, 'offline drain failed; closing');
        this.fail('WS_UPSTREAM_UNAVAILABLE', undefined, ref);
        return;
      }
      this.#log.warn({ err: error }, 'requested sync failed');
      this.#sendError('UNAVAILABLE', 'Sync failed; ask again later', ref);
    }
    if (this.#closed()) return;
    if (delivered > 0 || initial) this.#log.debug({ delivered }, 'drain done');
    this.#sendFrame({ type: 'sync.done', delivered, ...(ref ? { ref } : {}) });
    const held = this.#held;
    this.#held = [];
    this.#draining = false;
    this.#phase = 'live';
    for (const { frame, text } of held) {
      if (frame.type === 'message' && this.#alreadyDrained(frame.message)) continue;
      this.#sendText(frame.type, text);
    }
    const again = this.#syncAgain;
    this.#syncAgain = undefined;
    if (again) this.#requestSync(again.ref);
  }

  /**
   * One pass over the offline queue. Live messages dropped from the hold
   * buffer (overflow) after the pass's first read are not necessarily in it:
   * the flag they set makes the caller run one more pass.
   */
  async #drainPass(first: PendingPage | undefined): Promise<number> {
    if (!first) this.#heldOverflow = false;
    let page = first ?? (await this.#fetchPage(undefined));
    let sent = 0;
    for (;;) {
      for (const message of page.messages) {
        if (this.#closed()) return sent;
        if (this.#alreadyDrained(message)) continue;
        this.#drainedUpTo.set(message.conversationId, message.seq);
        await this.#write({ type: 'message', message });
        sent += 1;
      }
      this.context.metrics.drainedMessages.inc(page.messages.length);
      if (!page.nextPageToken || this.#closed()) return sent;
      page = await this.#fetchPage(page.nextPageToken);
    }
  }

  #alreadyDrained(message: StoredMessage): boolean {
    return message.seq <= (this.#drainedUpTo.get(message.conversationId) ?? -1);
  }

  async #fetchPage(pageToken: string | undefined): Promise<PendingPage> {
    const identity = this.#identity!;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.context.messageService.pending({
          deviceId: identity.deviceId,
          userId: identity.userId,
          limit: this.context.limits.drainPageSize,
          ...(pageToken === undefined ? {} : { pageToken }),
        });
      } catch (error) {
        const delay = PAGE_RETRY_DELAYS_MS[attempt];
        if (delay === undefined || this.#closed() || !(isAppError(error) && error.retryable)) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // ---- outgoing ---------------------------------------------------------------

  /** Sends a drain frame, waiting for the socket to take it out when much is queued (backpressure). */
  async #write(frame: ServerFrame): Promise<void> {
    if (this.#closed()) return;
    const written = new Promise<void>((resolve) => {
      const done = () => {
        this.#writeWaiters.delete(done);
        resolve();
      };
      this.#writeWaiters.add(done);
      this.socket.send(serializeFrame(frame), done);
    });
    this.context.metrics.framesOut.inc({ type: frame.type });
    if (this.socket.bufferedAmount > this.context.limits.maxSendBufferBytes / 2) await written;
  }

  #sendFrame(frame: ServerFrame, options: { force?: boolean } = {}): void {
    this.#sendText(frame.type, serializeFrame(frame), options);
  }

  #sendError(code: ErrorCode, message?: string, ref?: string, clientMsgId?: string): void {
    this.#sendFrame({
      type: 'error',
      code,
      message: message ?? ErrorCatalog[code].message,
      ...(ref ? { ref } : {}),
      ...(clientMsgId ? { clientMsgId } : {}),
    });
  }

  /**
   * The live path: a socket whose unsent bytes would pass the limit is a slow
   * reader and is closed (4002) instead of being allowed to grow memory.
   */
  #sendText(type: ServerFrame['type'], text: string, options: { force?: boolean } = {}): void {
    if (this.#closed() || this.socket.readyState !== this.socket.OPEN) return;
    if (!options.force && this.socket.bufferedAmount + text.length > this.context.limits.maxSendBufferBytes) {
      this.#slowConsumer();
      return;
    }
    this.socket.send(text);
    this.context.metrics.framesOut.inc({ type });
  }

  #slowConsumer(): void {
    this.#log.warn(
      { bufferedBytes: this.socket.bufferedAmount },
      'send buffer overflow; closing slow consumer',
    );
    this.context.metrics.slowConsumerCloses.inc();
    this.fail('WS_SLOW_CONSUMER');
    // It may never read its way to the close frame: let go of its buffer after a grace period.
    setTimeout(() => this.socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  #closeSocket(code: number, reason: string): void {
    this.#markClosed();
    this.context.metrics.closes.inc({ code: String(code) });
    // Close reasons are limited to 123 bytes.
    this.socket.close(code, Buffer.from(reason).subarray(0, 120).toString());
  }

  #onSocketClosed(code: number): void {
    if (!this.#closed()) this.context.metrics.closes.inc({ code: String(code) });
    this.#markClosed();
  }

  /** A method, not a field test, so the compiler does not narrow it across awaits. */
  #closed(): boolean {
    return this.#phase === 'closed';
  }

  #markClosed(): void {
    if (this.#closed()) return;
    this.#phase = 'closed';
    clearTimeout(this.#authTimer);
    this.#held = [];
    this.#early = [];
    for (const wake of [...this.#writeWaiters]) wake();
    this.onClosed(this);
  }
}
