/**
 * The chat state of the signed-in user as a pure reducer: conversations with
 * their member cursors, decrypted message threads, presence, typing and the
 * connection. Events from the server and from the UI become actions; the
 * React tree renders selectors over the state. Dedup by (conversation, seq)
 * and by clientMsgId for my own messages happens here, so a message drained
 * twice, or echoed back from another of my devices, is shown once.
 */

export type MessageBody = { kind: 'text'; text: string } | { kind: 'unreadable'; reason: string };

export interface ChatMessage {
  /** Stable identity for rendering: the clientMsgId, the same while pending and once stored. */
  readonly clientMsgId: string;
  readonly conversationId: string;
  readonly senderId: string;
  /** Set once the server stored it. */
  readonly id?: string | undefined;
  readonly seq?: number | undefined;
  /** Server time once stored; the local send time while pending. */
  readonly createdAt: string;
  readonly body: MessageBody;
  /** A permanent refusal of a send (pending messages that are merely waiting are not failed). */
  readonly failure?: { code: string; message: string } | undefined;
}

export interface MemberView {
  readonly userId: string;
  readonly role: 'owner' | 'member';
  readonly joinedAt: string;
  readonly deliveredSeq: number;
  readonly readSeq: number;
}

export interface ConversationView {
  readonly id: string;
  readonly kind: 'direct' | 'group';
  readonly title: string | null;
  readonly createdAt: string;
  readonly members: readonly MemberView[];
  readonly lastSeq: number;
  readonly lastMessage: ChatMessage | null;
  readonly unreadCount: number;
}

export interface Thread {
  /** Stored messages, ascending by seq, no duplicates. */
  readonly messages: readonly ChatMessage[];
  /** My messages not stored yet, in the order I sent them. */
  readonly pending: readonly ChatMessage[];
  /** The newest page was fetched over HTTP (live messages may arrive before that). */
  readonly loaded: boolean;
  readonly hasMoreBefore: boolean;
}

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'reconnecting' | 'syncing';

export interface Presence {
  readonly status: 'online' | 'offline';
  readonly lastSeenAt: string | null;
}

export interface UserInfo {
  readonly id: string;
  readonly username: string;
}

export interface ChatState {
  readonly me: string;
  readonly connection: ConnectionState;
  /** While not connected: when the client tries again by itself (epoch ms). */
  readonly retryAt: number | null;
  readonly conversationsLoaded: boolean;
  readonly conversations: Readonly<Record<string, ConversationView>>;
  readonly threads: Readonly<Record<string, Thread>>;
  readonly users: Readonly<Record<string, UserInfo>>;
  readonly presence: Readonly<Record<string, Presence>>;
  /** conversationId → userId → epoch ms when the indicator lapses without a `stop`. */
  readonly typing: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export type ChatAction =
  | { type: 'connection'; state: ConnectionState }
  /** The connection dropped; the next attempt starts at `at` (epoch ms), or never by itself (null). */
  | { type: 'connection/retry'; at: number | null }
  | { type: 'conversations/loaded'; conversations: ConversationView[] }
  | { type: 'conversation/upsert'; conversation: ConversationView }
  | { type: 'conversation/removed'; conversationId: string }
  | {
      type: 'history/loaded';
      conversationId: string;
      messages: ChatMessage[];
      hasMoreBefore: boolean;
      /** 'latest': the newest page (replaces the "has more" flag); 'older': a page before what is shown. */
      page: 'latest' | 'older';
    }
  | { type: 'message/pending'; message: ChatMessage }
  | {
      type: 'message/sent';
      conversationId: string;
      clientMsgId: string;
      id: string;
      seq: number;
      /** Server time when known; else the local send time stays until the stored copy arrives. */
      createdAt?: string | undefined;
    }
  | { type: 'message/failed'; conversationId: string; clientMsgId: string; code: string; message: string }
  | { type: 'message/discarded'; conversationId: string; clientMsgId: string }
  | { type: 'message/received'; message: ChatMessage }
  | { type: 'receipt'; conversationId: string; userId: string; deliveredSeq: number; readSeq: number }
  | { type: 'typing'; conversationId: string; userId: string; state: 'start' | 'stop'; now: number }
  | { type: 'typing/expire'; now: number }
  | { type: 'presence'; entries: Array<{ userId: string } & Presence> }
  | { type: 'users'; users: UserInfo[] };

/** How long a `typing: start` shows without a refresh or a `stop`. */
export const TYPING_TTL_MS = 6_000;

const EMPTY_THREAD: Thread = { messages: [], pending: [], loaded: false, hasMoreBefore: true };

export function initialChatState(me: string): ChatState {
  return {
    me,
    connection: 'connecting',
    retryAt: null,
    conversationsLoaded: false,
    conversations: {},
    threads: {},
    users: {},
    presence: {},
    typing: {},
  };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'connection':
      if (state.connection === action.state) return state;
      return {
        ...state,
        connection: action.state,
        retryAt: action.state === 'offline' || action.state === 'reconnecting' ? state.retryAt : null,
      };

    case 'connection/retry':
      return state.retryAt === action.at ? state : { ...state, retryAt: action.at };

    case 'conversations/loaded': {
      const conversations: Record<string, ConversationView> = {};
      for (const incoming of action.conversations) {
        conversations[incoming.id] = mergeConversation(state.conversations[incoming.id], incoming);
      }
      return { ...state, conversationsLoaded: true, conversations };
    }

    case 'conversation/upsert':
      return {
        ...state,
        conversations: {
          ...state.conversations,
          [action.conversation.id]: mergeConversation(
            state.conversations[action.conversation.id],
            action.conversation,
          ),
        },
      };

    case 'conversation/removed': {
      if (!state.conversations[action.conversationId]) return state;
      const { [action.conversationId]: _gone, ...conversations } = state.conversations;
      const { [action.conversationId]: _thread, ...threads } = state.threads;
      return { ...state, conversations, threads };
    }

    case 'history/loaded': {
      const thread = state.threads[action.conversationId] ?? EMPTY_THREAD;
      const messages = mergeBySeq(thread.messages, action.messages);
      const pending = thread.pending.filter(
        (p) => !messages.some((m) => m.clientMsgId === p.clientMsgId && m.senderId === p.senderId),
      );
      const hasMoreBefore =
        action.page === 'older' || !thread.loaded ? action.hasMoreBefore : thread.hasMoreBefore;
      const next: Thread = { messages, pending, loaded: true, hasMoreBefore };
      return withConversationTail(
        { ...state, threads: { ...state.threads, [action.conversationId]: next } },
        action.conversationId,
      );
    }

    case 'message/pending': {
      const thread = state.threads[action.message.conversationId] ?? EMPTY_THREAD;
      if (thread.pending.some((p) => p.clientMsgId === action.message.clientMsgId)) return state;
      const next: Thread = { ...thread, pending: [...thread.pending, action.message] };
      return withConversationTail(
        { ...state, threads: { ...state.threads, [action.message.conversationId]: next } },
        action.message.conversationId,
      );
    }

    case 'message/sent': {
      const thread = state.threads[action.conversationId];
      const pending = thread?.pending.find((p) => p.clientMsgId === action.clientMsgId);
      if (!thread || !pending) return state;
      const stored: ChatMessage = {
        ...pending,
        id: action.id,
        seq: action.seq,
        createdAt: action.createdAt ?? pending.createdAt,
        failure: undefined,
      };
      return storeMessage(state, stored);
    }

    case 'message/failed':
      return updatePending(state, action.conversationId, action.clientMsgId, (m) => ({
        ...m,
        failure: { code: action.code, message: action.message },
      }));

    case 'message/discarded': {
      const thread = state.threads[action.conversationId];
      if (!thread) return state;
      const next: Thread = {
        ...thread,
        pending: thread.pending.filter((p) => p.clientMsgId !== action.clientMsgId),
      };
      return withConversationTail(
        { ...state, threads: { ...state.threads, [action.conversationId]: next } },
        action.conversationId,
      );
    }

    case 'message/received':
      return storeMessage(state, action.message);

    case 'receipt': {
      const conversation = state.conversations[action.conversationId];
      if (!conversation) return state;
      let changed = false;
      const members = conversation.members.map((m) => {
        if (m.userId !== action.userId) return m;
        const deliveredSeq = Math.max(m.deliveredSeq, action.deliveredSeq);
        const readSeq = Math.max(m.readSeq, action.readSeq);
        if (deliveredSeq === m.deliveredSeq && readSeq === m.readSeq) return m;
        changed = true;
        return { ...m, deliveredSeq, readSeq };
      });
      if (!changed) return state;
      let unreadCount = conversation.unreadCount;
      if (action.userId === state.me) {
        unreadCount = countUnread(state, conversation, action.readSeq);
      }
      return {
        ...state,
        conversations: {
          ...state.conversations,
          [conversation.id]: { ...conversation, members, unreadCount },
        },
      };
    }

    case 'typing': {
      if (action.userId === state.me) return state;
      const current = state.typing[action.conversationId] ?? {};
      let next: Record<string, number>;
      if (action.state === 'start') {
        next = { ...current, [action.userId]: action.now + TYPING_TTL_MS };
      } else {
        if (!(action.userId in current)) return state;
        const { [action.userId]: _stopped, ...rest } = current;
        next = rest;
      }
      return { ...state, typing: { ...state.typing, [action.conversationId]: next } };
    }

    case 'typing/expire': {
      let changed = false;
      const typing: Record<string, Record<string, number>> = {};
      for (const [conversationId, users] of Object.entries(state.typing)) {
        const kept: Record<string, number> = {};
        for (const [userId, until] of Object.entries(users)) {
          if (until > action.now) kept[userId] = until;
          else changed = true;
        }
        typing[conversationId] = kept;
      }
      return changed ? { ...state, typing } : state;
    }

    case 'presence': {
      const presence = { ...state.presence };
      for (const { userId, status, lastSeenAt } of action.entries) presence[userId] = { status, lastSeenAt };
      return { ...state, presence };
    }

    case 'users': {
      const users = { ...state.users };
      for (const user of action.users) users[user.id] = user;
      return { ...state, users };
    }
  }
}

/** A fresh server copy of a conversation keeps cursors and the tail that are already further along here. */
function mergeConversation(
  previous: ConversationView | undefined,
  incoming: ConversationView,
): ConversationView {
  if (!previous) return incoming;
  const members = incoming.members.map((m) => {
    const old = previous.members.find((p) => p.userId === m.userId);
    if (!old) return m;
    return {
      ...m,
      deliveredSeq: Math.max(m.deliveredSeq, old.deliveredSeq),
      readSeq: Math.max(m.readSeq, old.readSeq),
    };
  });
  const newer = previous.lastSeq > incoming.lastSeq;
  return {
    ...incoming,
    members,
    lastSeq: newer ? previous.lastSeq : incoming.lastSeq,
    lastMessage: newer ? previous.lastMessage : (incoming.lastMessage ?? previous.lastMessage),
    unreadCount: newer ? previous.unreadCount : incoming.unreadCount,
  };
}

function storeMessage(state: ChatState, message: ChatMessage): ChatState {
  const seq = message.seq;
  if (seq === undefined) return state;
  const conversationId = message.conversationId;
  const thread = state.threads[conversationId] ?? EMPTY_THREAD;
  const existing = thread.messages.find((m) => m.seq === seq);
  if (existing) {
    // Already shown (a drain overlapping live delivery, or a resend's echo): take the server's
    // timestamp for my own message shown from its `sent` ack, and settle a pending copy.
    if (existing.clientMsgId === message.clientMsgId && existing.createdAt !== message.createdAt) {
      const messages = thread.messages.map((m) =>
        m === existing ? { ...m, createdAt: message.createdAt } : m,
      );
      return { ...state, threads: { ...state.threads, [conversationId]: { ...thread, messages } } };
    }
    const pending = thread.pending.filter(
      (p) => !(p.clientMsgId === message.clientMsgId && message.senderId === state.me),
    );
    if (pending.length === thread.pending.length) return state;
    return { ...state, threads: { ...state.threads, [conversationId]: { ...thread, pending } } };
  }
  const mine = message.senderId === state.me;
  const pending = mine ? thread.pending.filter((p) => p.clientMsgId !== message.clientMsgId) : thread.pending;
  const nextThread: Thread = { ...thread, messages: mergeBySeq(thread.messages, [message]), pending };
  let conversations = state.conversations;
  const conversation = conversations[conversationId];
  if (conversation) {
    const me = conversation.members.find((m) => m.userId === state.me);
    const isNew = seq > conversation.lastSeq;
    const unreadCount =
      !mine && isNew && (me === undefined || seq > me.readSeq)
        ? conversation.unreadCount + 1
        : conversation.unreadCount;
    // The server advances the sender's own cursors when it stores a message.
    const members = mine
      ? conversation.members.map((m) =>
          m.userId === state.me
            ? { ...m, deliveredSeq: Math.max(m.deliveredSeq, seq), readSeq: Math.max(m.readSeq, seq) }
            : m,
        )
      : conversation.members;
    conversations = {
      ...conversations,
      [conversationId]: {
        ...conversation,
        members,
        lastSeq: Math.max(conversation.lastSeq, seq),
        lastMessage: isNew ? message : conversation.lastMessage,
        unreadCount: mine ? countUnreadAfter(nextThread, state.me, seq, unreadCount) : unreadCount,
      },
    };
  }
  return { ...state, conversations, threads: { ...state.threads, [conversationId]: nextThread } };
}

function updatePending(
  state: ChatState,
  conversationId: string,
  clientMsgId: string,
  change: (message: ChatMessage) => ChatMessage,
): ChatState {
  const thread = state.threads[conversationId];
  if (!thread?.pending.some((p) => p.clientMsgId === clientMsgId)) return state;
  const pending = thread.pending.map((p) => (p.clientMsgId === clientMsgId ? change(p) : p));
  return { ...state, threads: { ...state.threads, [conversationId]: { ...thread, pending } } };
}

/** Keeps the conversation's preview in step with a thread's newest stored or pending message. */
function withConversationTail(state: ChatState, conversationId: string): ChatState {
  const conversation = state.conversations[conversationId];
  const thread = state.threads[conversationId];
  if (!conversation || !thread) return state;
  const lastStored = thread.messages.at(-1);
  let lastMessage = conversation.lastMessage;
  let lastSeq = conversation.lastSeq;
  if (lastStored?.seq !== undefined && lastStored.seq >= conversation.lastSeq) {
    lastMessage = lastStored;
    lastSeq = lastStored.seq;
  }
  const lastPending = thread.pending.at(-1);
  if (lastPending) lastMessage = lastPending;
  if (lastMessage === conversation.lastMessage && lastSeq === conversation.lastSeq) return state;
  return {
    ...state,
    conversations: { ...state.conversations, [conversationId]: { ...conversation, lastMessage, lastSeq } },
  };
}

function countUnread(state: ChatState, conversation: ConversationView, readSeq: number): number {
  if (readSeq >= conversation.lastSeq) return 0;
  const thread = state.threads[conversation.id];
  return thread
    ? countUnreadAfter(thread, state.me, readSeq, conversation.unreadCount)
    : conversation.unreadCount;
}

/**
 * Messages by others after `readSeq`, counted from the thread when it holds
 * every seq in that range; otherwise the fallback (the server's figure).
 */
function countUnreadAfter(thread: Thread, me: string, readSeq: number, fallback: number): number {
  const after = thread.messages.filter((m) => m.seq !== undefined && m.seq > readSeq);
  const first = after[0]?.seq;
  const contiguous = first === undefined || first === readSeq + 1;
  if (!contiguous) return fallback;
  return after.filter((m) => m.senderId !== me).length;
}

function mergeBySeq(existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const bySeq = new Map<number, ChatMessage>();
  for (const m of existing) if (m.seq !== undefined) bySeq.set(m.seq, m);
  for (const m of incoming) if (m.seq !== undefined && !bySeq.has(m.seq)) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

// ---- selectors ----------------------------------------------------------------

/** What the chat view shows: stored messages in seq order, then my pending ones. */
export function visibleMessages(thread: Thread | undefined): ChatMessage[] {
  if (!thread) return [];
  return [...thread.messages, ...thread.pending];
}

/** Conversations, most recent activity first. */
export function sortedConversations(state: ChatState): ConversationView[] {
  const activity = (c: ConversationView) => Date.parse(c.lastMessage?.createdAt ?? c.createdAt);
  return Object.values(state.conversations).sort(
    (a, b) => activity(b) - activity(a) || a.id.localeCompare(b.id),
  );
}

/** For a direct conversation: the other person. */
export function directPeer(conversation: ConversationView, me: string): string | undefined {
  if (conversation.kind !== 'direct') return undefined;
  return conversation.members.find((m) => m.userId !== me)?.userId ?? me;
}

export function conversationTitle(
  conversation: ConversationView,
  state: Pick<ChatState, 'me' | 'users'>,
): string {
  if (conversation.kind === 'group') return conversation.title ?? 'Untitled group';
  const peer = directPeer(conversation, state.me);
  return (peer && state.users[peer]?.username) ?? 'Direct chat';
}

/** What this client knows of a user's presence: nothing while it is not connected itself. */
export function knownPresence(
  state: Pick<ChatState, 'connection' | 'presence'>,
  userId: string,
): Presence | undefined {
  if (state.connection !== 'online' && state.connection !== 'syncing') return undefined;
  return state.presence[userId];
}

/** Users typing in a conversation right now (not me). */
export function typingUsers(state: ChatState, conversationId: string, now: number): string[] {
  const users = state.typing[conversationId] ?? {};
  return Object.entries(users)
    .filter(([, until]) => until > now)
    .map(([userId]) => userId);
}

/** The highest seq of a conversation that I can mark read (stored messages only). */
export function latestSeq(state: ChatState, conversationId: string): number {
  const thread = state.threads[conversationId];
  const conversation = state.conversations[conversationId];
  return Math.max(thread?.messages.at(-1)?.seq ?? 0, conversation?.lastSeq ?? 0);
}

export function myReadSeq(state: ChatState, conversationId: string): number {
  return state.conversations[conversationId]?.members.find((m) => m.userId === state.me)?.readSeq ?? 0;
}
