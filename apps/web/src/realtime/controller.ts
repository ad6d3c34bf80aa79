import { type ConnectionState as ClientConnectionState, ImClient } from '@im/client';
import type { Conversation, SealedEnvelope, StoredMessage } from '@im/contracts';
import type { Api } from '../api/api.js';
import { describeError, endsSession } from '../api/errors.js';
import type { E2ee } from '../keys/e2ee.js';
import { loadOutbox, type OutboxEntry, removeOutbox, saveOutbox } from '../keys/keystore.js';
import type { SessionManager } from '../session/session.js';
import {
  type ChatMessage,
  type ConnectionState,
  type ConversationView,
  latestSeq,
  myReadSeq,
} from '../state/chat.js';
import type { ChatStore } from '../state/store.js';

const PAGE = 50;

/** A message typed while its recipients' keys could not be fetched (offline): sealed once they can be. */
interface Unsealed {
  conversationId: string;
  clientMsgId: string;
  text: string;
  createdAt: string;
}

export interface Notice {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

/**
 * Connects the chat store to the servers: the HTTP APIs for conversations and
 * history, @im/client for everything realtime, E2ee for every body. The UI
 * calls its methods; everything it learns becomes a store action.
 */
export class ChatController {
  readonly client: ImClient;
  readonly #api: Api;
  readonly #e2ee: E2ee;
  readonly #store: ChatStore;
  readonly #session: SessionManager;
  readonly #unsealed: Unsealed[] = [];
  readonly #bodies = new Map<string, ChatMessage['body']>();
  readonly #loadingOlder = new Set<string>();
  readonly #fetchingUsers = new Set<string>();
  readonly #conversationLoads = new Map<string, Promise<void>>();
  /** Per conversation, the last message on its way into the store. */
  readonly #inbound = new Map<string, Promise<void>>();
  readonly #offs: Array<() => void> = [];
  #wasLive = false;
  readonly #noticeListeners = new Set<(notice: Notice) => void>();
  #noticeId = 0;

  constructor(deps: { api: Api; e2ee: E2ee; store: ChatStore; session: SessionManager }) {
    this.#api = deps.api;
    this.#e2ee = deps.e2ee;
    this.#store = deps.store;
    this.#session = deps.session;
    const wsUrl = new URL('/v1/ws', window.location.href);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    this.client = new ImClient({
      url: wsUrl.toString(),
      token: () => this.#session.accessToken(),
      api: { baseUrl: window.location.origin },
    });
  }

  onNotice(listener: (notice: Notice) => void): () => void {
    this.#noticeListeners.add(listener);
    return () => this.#noticeListeners.delete(listener);
  }

  start(): void {
    const c = this.client;
    this.#offs.push(
      c.on('state', (state) => this.#onState(state)),
      c.on('ready', () => {
        void this.refreshConversations();
        void this.#flushUnsealed();
      }),
      c.on('message', (message) => this.#onMessage(message)),
      c.on('status', (status) => {
        if (status.status !== 'pending') this.#settled(status.clientMsgId);
        if (status.status === 'failed' && status.error) {
          this.#store.dispatch({
            type: 'message/failed',
            conversationId: status.conversationId,
            clientMsgId: status.clientMsgId,
            code: status.error.code,
            message: status.error.message,
          });
        } else if (status.seq !== undefined && status.messageId !== undefined) {
          this.#store.dispatch({
            type: 'message/sent',
            conversationId: status.conversationId,
            clientMsgId: status.clientMsgId,
            id: status.messageId,
            seq: status.seq,
          });
        }
      }),
      c.on('receipt', (r) =>
        this.#store.dispatch({
          type: 'receipt',
          conversationId: r.conversationId,
          userId: r.userId,
          deliveredSeq: r.deliveredSeq,
          readSeq: r.readSeq,
        }),
      ),
      c.on('typing', (t) =>
        this.#store.dispatch({
          type: 'typing',
          conversationId: t.conversationId,
          userId: t.userId,
          state: t.state,
          now: Date.now(),
        }),
      ),
      c.on('presence', (p) =>
        this.#store.dispatch({
          type: 'presence',
          entries: [{ userId: p.userId, status: p.status, lastSeenAt: p.lastSeenAt }],
        }),
      ),
      c.on(
        'conversation',
        (change) => void this.#onConversationChange(change.conversationId, change.memberIds),
      ),
      c.on('keys', (k) => {
        this.#e2ee.invalidate(k.userId);
        // Fetching checks the new keys against the pin and raises the warning.
        void this.#e2ee.prefetch([k.userId]);
      }),
      c.on('resync', () => void this.#resync()),
      c.on('broadcast', (b) => this.#notify(`${b.from}: ${b.text}`, 'info')),
      c.on('disconnected', (info) => {
        this.#store.dispatch({
          type: 'connection/retry',
          at: info.reconnectInMs === null ? null : Date.now() + info.reconnectInMs,
        });
        if (info.reconnectInMs === null && (info.code === 4403 || info.code === 4401))
          void this.#checkSession(info.reason);
      }),
      c.on('error', (error) => {
        if (error.code.startsWith('CLIENT_')) console.warn(`[im] ${error.code}: ${error.message}`);
      }),
    );
    void this.#restoreOutbox();
    c.connect();
    void this.refreshConversations();
  }

  /** Tries to connect now instead of waiting for the next attempt. */
  async reconnectNow(): Promise<void> {
    await this.client.close();
    this.client.connect();
  }

  async stop(): Promise<void> {
    for (const off of this.#offs.splice(0)) off();
    await this.client.close();
  }

  // ---- conversations -------------------------------------------------------------

  async refreshConversations(): Promise<void> {
    let list: Conversation[];
    try {
      list = await this.#api.conversations();
    } catch (error) {
      if (!endsSession(error)) console.warn('[im] could not load conversations', error);
      return;
    }
    const views = await Promise.all(list.map((c) => this.#toView(c)));
    for (const c of list) this.client.applyMembers(c.id, c.members);
    this.#store.dispatch({ type: 'conversations/loaded', conversations: views });
    const userIds = [...new Set(list.flatMap((c) => c.members.map((m) => m.userId)))];
    void this.ensureUsers(userIds);
    void this.#loadPresence(userIds.filter((id) => id !== this.#e2ee.me));
  }

  async ensureUsers(userIds: readonly string[]): Promise<void> {
    const { users } = this.#store.getState();
    const missing = userIds.filter((id) => !users[id] && !this.#fetchingUsers.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.#fetchingUsers.add(id);
    const found = await Promise.allSettled(missing.map((id) => this.#api.user(id)));
    for (const id of missing) this.#fetchingUsers.delete(id);
    const loaded = found.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (loaded.length > 0) this.#store.dispatch({ type: 'users', users: loaded });
  }

  async startDirect(userId: string): Promise<string> {
    const conversation = await this.#api.openDirect(userId);
    await this.#upsert(conversation);
    return conversation.id;
  }

  async createGroup(title: string, memberIds: string[]): Promise<string> {
    const conversation = await this.#api.createGroup(title, memberIds);
    await this.#upsert(conversation);
    return conversation.id;
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<void> {
    await this.#api.addMembers(conversationId, userIds);
    await this.#reloadConversation(conversationId);
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.#api.removeMember(conversationId, userId);
    if (userId === this.#e2ee.me) {
      this.#store.dispatch({ type: 'conversation/removed', conversationId });
    } else {
      await this.#reloadConversation(conversationId);
    }
  }

  async leave(conversationId: string): Promise<void> {
    await this.#api.leave(conversationId);
    this.#store.dispatch({ type: 'conversation/removed', conversationId });
  }

  async rename(conversationId: string, title: string): Promise<void> {
    await this.#upsert(await this.#api.rename(conversationId, title));
  }

  // ---- history ---------------------------------------------------------------------

  /** Loads the newest page when the thread has none yet, and warms the members' keys for sending. */
  async open(conversationId: string): Promise<void> {
    const state = this.#store.getState();
    const conversation = state.conversations[conversationId];
    if (conversation) void this.#e2ee.prefetch(conversation.members.map((m) => m.userId));
    if (state.threads[conversationId]?.loaded) return;
    await this.#loadLatest(conversationId);
  }

  /** Loads the page before the oldest message shown; resolves false when there is nothing more. */
  async loadOlder(conversationId: string): Promise<boolean> {
    const thread = this.#store.getState().threads[conversationId];
    if (!thread?.loaded || !thread.hasMoreBefore || this.#loadingOlder.has(conversationId)) return false;
    const oldest = thread.messages[0]?.seq;
    if (oldest === undefined || oldest <= 1) return false;
    this.#loadingOlder.add(conversationId);
    try {
      const page = await this.#api.history(conversationId, { before: oldest, limit: PAGE });
      const messages = await Promise.all(page.messages.map((m) => this.#toChat(m)));
      this.#store.dispatch({
        type: 'history/loaded',
        conversationId,
        messages,
        hasMoreBefore: page.hasMore,
        page: 'older',
      });
      return page.hasMore;
    } finally {
      this.#loadingOlder.delete(conversationId);
    }
  }

  async #loadLatest(conversationId: string): Promise<void> {
    const page = await this.#api.history(conversationId, {
      before: latestSeq(this.#store.getState(), conversationId) + 1,
      limit: PAGE,
    });
    const messages = await Promise.all(page.messages.map((m) => this.#toChat(m)));
    this.#store.dispatch({
      type: 'history/loaded',
      conversationId,
      messages,
      hasMoreBefore: page.hasMore,
      page: 'latest',
    });
  }

  // ---- sending ---------------------------------------------------------------------

  /** Shows the message at once as pending; seals and sends it now, or when the keys can be had. */
  send(conversationId: string, text: string): void {
    const clientMsgId = crypto.randomUUID();
    const createdAt = new Date().toISOString();
    this.#bodies.set(clientMsgId, { kind: 'text', text });
    this.#store.dispatch({
      type: 'message/pending',
      message: {
        clientMsgId,
        conversationId,
        senderId: this.#e2ee.me,
        createdAt,
        body: { kind: 'text', text },
      },
    });
    this.typing(conversationId, 'stop');
    void this.#sealAndSend({ conversationId, clientMsgId, text, createdAt });
  }

  /** Sends a failed message again (under a new clientMsgId: the old one was refused for good). */
  retry(conversationId: string, clientMsgId: string): void {
    const body = this.#bodies.get(clientMsgId);
    this.#store.dispatch({ type: 'message/discarded', conversationId, clientMsgId });
    if (body?.kind === 'text') this.send(conversationId, body.text);
  }

  discard(conversationId: string, clientMsgId: string): void {
    this.#store.dispatch({ type: 'message/discarded', conversationId, clientMsgId });
  }

  async #sealAndSend(item: Unsealed): Promise<void> {
    const conversation = this.#store.getState().conversations[item.conversationId];
    if (!conversation) return;
    let envelope: SealedEnvelope;
    try {
      envelope = await this.#e2ee.sealText(
        item.conversationId,
        item.clientMsgId,
        item.text,
        conversation.members.map((m) => m.userId),
      );
    } catch (error) {
      if (this.client.state === 'live' || this.client.state === 'syncing') {
        this.#store.dispatch({
          type: 'message/failed',
          conversationId: item.conversationId,
          clientMsgId: item.clientMsgId,
          code: 'CLIENT_SEAL_FAILED',
          message: describeError(error),
        });
      } else {
        // Offline and the keys are not cached: seal on reconnect.
        this.#unsealed.push(item);
      }
      return;
    }
    try {
      await saveOutbox(this.#e2ee.me, {
        clientMsgId: item.clientMsgId,
        conversationId: item.conversationId,
        createdAt: item.createdAt,
        envelope,
      });
    } catch (error) {
      // Sending still works; only a reload before it is stored would lose it.
      console.warn('[im] could not keep the unsent message in storage', error);
    }
    this.client.send(item.conversationId, envelope);
  }

  /** Messages sealed before a reload and not stored yet: show them as pending and send them again. */
  async #restoreOutbox(): Promise<void> {
    let entries: OutboxEntry[];
    try {
      entries = await loadOutbox(this.#e2ee.me);
    } catch (error) {
      console.warn('[im] could not read unsent messages', error);
      return;
    }
    for (const entry of entries) {
      const body = await this.#e2ee.openOwn(entry.envelope);
      this.#bodies.set(entry.clientMsgId, body);
      this.#store.dispatch({
        type: 'message/pending',
        message: {
          clientMsgId: entry.clientMsgId,
          conversationId: entry.conversationId,
          senderId: this.#e2ee.me,
          createdAt: entry.createdAt,
          body,
        },
      });
      // The same clientMsgId: if the server stored it before the reload, it answers with the stored copy.
      this.client.send(entry.conversationId, entry.envelope);
    }
  }

  #settled(clientMsgId: string): void {
    removeOutbox(this.#e2ee.me, clientMsgId).catch((error: unknown) =>
      console.warn('[im] could not drop a sent message from storage', error),
    );
  }

  async #flushUnsealed(): Promise<void> {
    const items = this.#unsealed.splice(0);
    for (const item of items) await this.#sealAndSend(item);
  }

  // ---- receipts and typing ----------------------------------------------------------

  /** Marks everything shown in the conversation read (call while it is on screen and the page is visible). */
  markRead(conversationId: string): void {
    const state = this.#store.getState();
    const seq = latestSeq(state, conversationId);
    if (seq === 0 || seq <= myReadSeq(state, conversationId)) return;
    const me = state.conversations[conversationId]?.members.find((m) => m.userId === state.me);
    this.client.markRead(conversationId, seq);
    this.#store.dispatch({
      type: 'receipt',
      conversationId,
      userId: state.me,
      deliveredSeq: Math.max(me?.deliveredSeq ?? 0, seq),
      readSeq: seq,
    });
  }

  typing(conversationId: string, state: 'start' | 'stop'): void {
    if (this.client.state !== 'live') return;
    this.client.typing(conversationId, state);
  }

  // ---- events -----------------------------------------------------------------------

  #onState(state: ClientConnectionState): void {
    let view: ConnectionState;
    switch (state) {
      case 'live':
        this.#wasLive = true;
        view = 'online';
        break;
      case 'syncing':
        view = 'syncing';
        break;
      case 'connecting':
        view = this.#wasLive ? 'reconnecting' : 'connecting';
        break;
      case 'offline':
        view = 'offline';
        break;
    }
    this.#store.dispatch({ type: 'connection', state: view });
  }

  /**
   * Messages are opened in parallel but reach the store in the order the client
   * handed them over (seq order per conversation), so "is this newer than what
   * the list knew" — and with it the unread count — is judged in order.
   */
  #onMessage(message: StoredMessage): void {
    const id = message.conversationId;
    const opened = this.#toChat(message);
    const known = this.#store.getState().conversations[id] !== undefined;
    const previous = this.#inbound.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (!known && !this.#store.getState().conversations[id]) await this.#reloadConversation(id);
      this.#store.dispatch({ type: 'message/received', message: await opened });
    });
    const settled = next.catch((error: unknown) => console.warn('[im] could not show a message', id, error));
    this.#inbound.set(id, settled);
    void settled.finally(() => {
      if (this.#inbound.get(id) === settled) this.#inbound.delete(id);
    });
  }

  async #onConversationChange(conversationId: string, memberIds: readonly string[]): Promise<void> {
    if (!memberIds.includes(this.#e2ee.me)) {
      this.#store.dispatch({ type: 'conversation/removed', conversationId });
      return;
    }
    await this.#reloadConversation(conversationId);
  }

  /** Fetches a conversation once even when many of its messages (a drain) ask for it at the same time. */
  #reloadConversation(conversationId: string): Promise<void> {
    let loading = this.#conversationLoads.get(conversationId);
    if (!loading) {
      loading = this.#api
        .conversation(conversationId)
        .then((conversation) => this.#upsert(conversation))
        .catch((error: unknown) => console.warn('[im] could not load a conversation', conversationId, error))
        .finally(() => this.#conversationLoads.delete(conversationId));
      this.#conversationLoads.set(conversationId, loading);
    }
    return loading;
  }

  async #upsert(conversation: Conversation): Promise<void> {
    this.client.applyMembers(conversation.id, conversation.members);
    this.#store.dispatch({ type: 'conversation/upsert', conversation: await this.#toView(conversation) });
    const ids = conversation.members.map((m) => m.userId);
    void this.ensureUsers(ids);
    void this.#loadPresence(ids.filter((id) => id !== this.#e2ee.me));
  }

  /** This device could not be caught up from its cursors: reload what is on screen over HTTP. */
  async #resync(): Promise<void> {
    await this.refreshConversations();
    const { threads } = this.#store.getState();
    await Promise.allSettled(
      Object.entries(threads)
        .filter(([, thread]) => thread.loaded)
        .map(([conversationId]) => this.#loadLatest(conversationId)),
    );
  }

  async #loadPresence(userIds: string[]): Promise<void> {
    try {
      const entries = await this.#api.presence(userIds);
      this.#store.dispatch({ type: 'presence', entries });
    } catch (error) {
      console.warn('[im] could not load presence', error);
    }
  }

  /**
   * The gateway closed for good with an auth or policy code. If the session was
   * revoked (signed out from another device), any API call now fails that way
   * and the Api ends the session; otherwise say what the gateway refused.
   */
  async #checkSession(reason: string): Promise<void> {
    try {
      await this.#api.sessions();
    } catch (error) {
      if (endsSession(error)) return;
    }
    this.#notify(
      `The server refused the live connection (${reason || 'no reason given'}). Reload to try again.`,
      'error',
    );
  }

  #notify(text: string, tone: Notice['tone']): void {
    const notice = { id: ++this.#noticeId, text, tone };
    for (const listener of this.#noticeListeners) listener(notice);
  }

  // ---- mapping ----------------------------------------------------------------------

  async #toView(c: Conversation): Promise<ConversationView> {
    return {
      id: c.id,
      kind: c.kind,
      title: c.title,
      createdAt: c.createdAt,
      members: c.members,
      lastSeq: c.lastSeq,
      lastMessage: c.lastMessage ? await this.#toChat(c.lastMessage) : null,
      unreadCount: c.unreadCount,
    };
  }

  async #toChat(message: StoredMessage): Promise<ChatMessage> {
    // My own message sent from this tab: no need to decrypt what I typed.
    const known = message.senderId === this.#e2ee.me ? this.#bodies.get(message.clientMsgId) : undefined;
    return {
      clientMsgId: message.clientMsgId,
      conversationId: message.conversationId,
      senderId: message.senderId,
      id: message.id,
      seq: message.seq,
      createdAt: message.createdAt,
      body: known ?? (await this.#e2ee.open(message)),
    };
  }
}
