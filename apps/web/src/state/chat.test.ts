import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  type ChatState,
  type ConversationView,
  chatReducer,
  initialChatState,
  knownPresence,
  sortedConversations,
  TYPING_TTL_MS,
  visibleMessages,
} from './chat.js';

const ME = 'me';
const BOB = 'bob';
const C = 'c1';

function conversation(overrides: Partial<ConversationView> = {}): ConversationView {
  return {
    id: C,
    kind: 'direct',
    title: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    members: [
      { userId: ME, role: 'member', joinedAt: '2025-01-01T00:00:00.000Z', deliveredSeq: 0, readSeq: 0 },
      { userId: BOB, role: 'member', joinedAt: '2025-01-01T00:00:00.000Z', deliveredSeq: 0, readSeq: 0 },
    ],
    lastSeq: 0,
    lastMessage: null,
    unreadCount: 0,
    ...overrides,
  };
}

function stored(seq: number, senderId = BOB, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return {
    clientMsgId: `m-${senderId}-${seq}`,
    conversationId: C,
    senderId,
    id: `id-${seq}`,
    seq,
    createdAt: new Date(Date.UTC(2025, 1, 1, 10, seq)).toISOString(),
    body: { kind: 'text', text: `message ${seq}` },
    ...overrides,
  };
}

function withConversation(c: ConversationView = conversation()): ChatState {
  return chatReducer(initialChatState(ME), { type: 'conversations/loaded', conversations: [c] });
}

const reduce = (state: ChatState, ...actions: Parameters<typeof chatReducer>[1][]) =>
  actions.reduce(chatReducer, state);
const seqs = (state: ChatState) => visibleMessages(state.threads[C]).map((m) => m.seq ?? 'pending');

describe('chatReducer: receiving', () => {
  it('keeps messages in seq order and drops duplicates', () => {
    const state = reduce(
      withConversation(),
      { type: 'message/received', message: stored(2) },
      { type: 'message/received', message: stored(1) },
      { type: 'message/received', message: stored(2) },
      { type: 'message/received', message: stored(3) },
    );
    expect(seqs(state)).toEqual([1, 2, 3]);
    expect(state.conversations[C]?.lastSeq).toBe(3);
    expect(state.conversations[C]?.lastMessage?.seq).toBe(3);
  });

  it('counts unread messages from others once each, and clears them when I read', () => {
    let state = reduce(
      withConversation(),
      { type: 'message/received', message: stored(1) },
      { type: 'message/received', message: stored(2) },
      { type: 'message/received', message: stored(2) },
    );
    expect(state.conversations[C]?.unreadCount).toBe(2);
    state = chatReducer(state, {
      type: 'receipt',
      conversationId: C,
      userId: ME,
      deliveredSeq: 2,
      readSeq: 1,
    });
    expect(state.conversations[C]?.unreadCount).toBe(1);
    state = chatReducer(state, {
      type: 'receipt',
      conversationId: C,
      userId: ME,
      deliveredSeq: 2,
      readSeq: 2,
    });
    expect(state.conversations[C]?.unreadCount).toBe(0);
  });

  it('merges a history page under live messages without duplicates', () => {
    const state = reduce(
      withConversation(conversation({ lastSeq: 60 })),
      { type: 'message/received', message: stored(61) },
      {
        type: 'history/loaded',
        conversationId: C,
        messages: [stored(59), stored(60), stored(61)],
        hasMoreBefore: true,
        page: 'latest',
      },
      {
        type: 'history/loaded',
        conversationId: C,
        messages: [stored(57), stored(58)],
        hasMoreBefore: false,
        page: 'older',
      },
    );
    expect(seqs(state)).toEqual([57, 58, 59, 60, 61]);
    expect(state.threads[C]?.hasMoreBefore).toBe(false);
    expect(state.threads[C]?.loaded).toBe(true);
  });
});

describe('chatReducer: sending', () => {
  const pending: ChatMessage = {
    clientMsgId: 'local-1',
    conversationId: C,
    senderId: ME,
    createdAt: '2025-02-01T10:30:00.000Z',
    body: { kind: 'text', text: 'hi' },
  };

  it('shows a pending message after the stored ones and settles it in place when sent', () => {
    let state = reduce(
      withConversation(),
      { type: 'message/received', message: stored(1) },
      { type: 'message/pending', message: pending },
    );
    expect(seqs(state)).toEqual([1, 'pending']);
    expect(state.conversations[C]?.lastMessage?.clientMsgId).toBe('local-1');
    state = chatReducer(state, {
      type: 'message/sent',
      conversationId: C,
      clientMsgId: 'local-1',
      id: 'x',
      seq: 2,
    });
    expect(seqs(state)).toEqual([1, 2]);
    expect(state.threads[C]?.pending).toEqual([]);
    // The server advanced my own cursors with my message.
    expect(state.conversations[C]?.members.find((m) => m.userId === ME)?.readSeq).toBe(2);
  });

  it('settles a pending message from its stored echo, and takes the server timestamp', () => {
    const echo = stored(1, ME, { clientMsgId: 'local-1', createdAt: '2025-02-01T10:30:05.000Z' });
    let state = reduce(
      withConversation(),
      { type: 'message/pending', message: pending },
      { type: 'message/received', message: echo },
    );
    expect(seqs(state)).toEqual([1]);
    state = chatReducer(state, {
      type: 'message/sent',
      conversationId: C,
      clientMsgId: 'local-1',
      id: 'x',
      seq: 1,
    });
    expect(seqs(state)).toEqual([1]);

    state = reduce(
      withConversation(),
      { type: 'message/pending', message: pending },
      { type: 'message/sent', conversationId: C, clientMsgId: 'local-1', id: 'x', seq: 1 },
      { type: 'message/received', message: echo },
    );
    expect(visibleMessages(state.threads[C])[0]?.createdAt).toBe('2025-02-01T10:30:05.000Z');
  });

  it('marks a refused message failed and can discard it', () => {
    let state = reduce(
      withConversation(),
      { type: 'message/pending', message: pending },
      {
        type: 'message/failed',
        conversationId: C,
        clientMsgId: 'local-1',
        code: 'MSG_NOT_MEMBER',
        message: 'no',
      },
    );
    expect(state.threads[C]?.pending[0]?.failure).toEqual({ code: 'MSG_NOT_MEMBER', message: 'no' });
    state = chatReducer(state, { type: 'message/discarded', conversationId: C, clientMsgId: 'local-1' });
    expect(seqs(state)).toEqual([]);
  });

  it('does not count my own messages from another device as unread', () => {
    const state = chatReducer(withConversation(), { type: 'message/received', message: stored(1, ME) });
    expect(state.conversations[C]?.unreadCount).toBe(0);
  });
});

describe('chatReducer: receipts, typing, list', () => {
  it('only moves member cursors forward', () => {
    let state = reduce(withConversation(), {
      type: 'receipt',
      conversationId: C,
      userId: BOB,
      deliveredSeq: 5,
      readSeq: 4,
    });
    const before = state;
    state = chatReducer(state, {
      type: 'receipt',
      conversationId: C,
      userId: BOB,
      deliveredSeq: 3,
      readSeq: 2,
    });
    expect(state).toBe(before);
    expect(state.conversations[C]?.members.find((m) => m.userId === BOB)).toMatchObject({
      deliveredSeq: 5,
      readSeq: 4,
    });
  });

  it('shows typing until stop or expiry, never for me', () => {
    let state = reduce(
      withConversation(),
      { type: 'typing', conversationId: C, userId: BOB, state: 'start', now: 1_000 },
      { type: 'typing', conversationId: C, userId: ME, state: 'start', now: 1_000 },
    );
    expect(Object.keys(state.typing[C] ?? {})).toEqual([BOB]);
    state = chatReducer(state, { type: 'typing/expire', now: 1_000 + TYPING_TTL_MS - 1 });
    expect(Object.keys(state.typing[C] ?? {})).toEqual([BOB]);
    state = chatReducer(state, { type: 'typing/expire', now: 1_000 + TYPING_TTL_MS });
    expect(Object.keys(state.typing[C] ?? {})).toEqual([]);
    state = reduce(
      state,
      { type: 'typing', conversationId: C, userId: BOB, state: 'start', now: 5_000 },
      { type: 'typing', conversationId: C, userId: BOB, state: 'stop', now: 5_100 },
    );
    expect(Object.keys(state.typing[C] ?? {})).toEqual([]);
  });

  it('sorts conversations by latest activity and drops a conversation I left', () => {
    const older = conversation({ id: 'c0', createdAt: '2024-12-01T00:00:00.000Z' });
    let state = chatReducer(initialChatState(ME), {
      type: 'conversations/loaded',
      conversations: [older, conversation()],
    });
    state = chatReducer(state, { type: 'message/received', message: { ...stored(1), conversationId: 'c0' } });
    expect(sortedConversations(state).map((c) => c.id)).toEqual(['c0', C]);
    state = chatReducer(state, { type: 'conversation/removed', conversationId: 'c0' });
    expect(sortedConversations(state).map((c) => c.id)).toEqual([C]);
    expect(state.threads.c0).toBeUndefined();
  });

  it('claims no presence while this client is not connected', () => {
    let state = chatReducer(withConversation(), {
      type: 'presence',
      entries: [{ userId: BOB, status: 'online', lastSeenAt: null }],
    });
    state = chatReducer(state, { type: 'connection', state: 'online' });
    expect(knownPresence(state, BOB)?.status).toBe('online');
    state = chatReducer(state, { type: 'connection', state: 'reconnecting' });
    expect(knownPresence(state, BOB)).toBeUndefined();
  });

  it('keeps when the next connection attempt is while disconnected, and forgets it once connected', () => {
    let state = reduce(
      withConversation(),
      { type: 'connection', state: 'offline' },
      { type: 'connection/retry', at: 5_000 },
      { type: 'connection', state: 'reconnecting' },
    );
    expect(state.retryAt).toBe(5_000);
    state = chatReducer(state, { type: 'connection', state: 'online' });
    expect(state.retryAt).toBeNull();
  });

  it('keeps newer local cursors and tail when a stale server copy arrives', () => {
    let state = reduce(
      withConversation(),
      { type: 'message/received', message: stored(1) },
      { type: 'receipt', conversationId: C, userId: BOB, deliveredSeq: 1, readSeq: 1 },
    );
    state = chatReducer(state, { type: 'conversation/upsert', conversation: conversation() });
    expect(state.conversations[C]?.lastSeq).toBe(1);
    expect(state.conversations[C]?.members.find((m) => m.userId === BOB)?.readSeq).toBe(1);
  });
});
