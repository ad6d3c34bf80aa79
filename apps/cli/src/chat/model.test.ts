import type { Conversation } from '@im/contracts';
import { describe, expect, it } from 'vitest';
import { createStyle } from '../ui/color.js';
import { displayWidth, stripAnsi } from '../ui/text.js';
import { ChatModel, type MessageEntry } from './model.js';
import { renderScreen, type ScreenView } from './render.js';

const ME = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CAROL = '00000000-0000-4000-8000-00000000000c';
const CONVERSATION = '00000000-0000-4000-8000-0000000000c0';

function conversation(kind: 'direct' | 'group', memberIds: string[]): Conversation {
  return {
    id: CONVERSATION,
    kind,
    title: kind === 'group' ? 'team' : null,
    createdAt: '2025-06-15T10:00:00.000Z',
    members: memberIds.map((userId) => ({
      userId,
      role: 'member' as const,
      joinedAt: '2025-06-15T10:00:00.000Z',
      deliveredSeq: 0,
      readSeq: 0,
    })),
    lastSeq: 0,
    lastMessage: null,
    unreadCount: 0,
  };
}

const stored = (
  senderId: string,
  seq: number,
  clientMsgId = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
) => ({
  senderId,
  clientMsgId,
  seq,
  createdAt: new Date(2025, 5, 15, 10, seq).toISOString(),
});

const names: Record<string, string> = { [ME]: 'alice', [BOB]: 'bob', [CAROL]: 'carol' };

function view(overrides: Partial<ScreenView> = {}): ScreenView {
  return {
    width: 60,
    height: 12,
    scroll: 0,
    input: { text: '', cursorColumn: 0 },
    name: (userId) => names[userId] ?? userId,
    title: 'bob',
    now: new Date(2025, 5, 15, 12, 0),
    ...overrides,
  };
}

const messages = (model: ChatModel) =>
  model.timeline().filter((entry): entry is MessageEntry => entry.kind === 'message');

describe('ChatModel', () => {
  it('orders messages by seq whatever order they arrive in, each once', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.addStored(stored(BOB, 3), { ok: true, text: 'three' });
    model.addStored(stored(BOB, 1), { ok: true, text: 'one' });
    model.addStored(stored(BOB, 2), { ok: true, text: 'two' });
    model.addStored(stored(BOB, 2), { ok: true, text: 'two' });
    expect(messages(model).map((entry) => entry.seq)).toEqual([1, 2, 3]);
    expect(model.firstSeq).toBe(1);
    expect(model.lastSeq).toBe(3);
  });

  it('follows my message from pending to stored to delivered to read', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.addStored(stored(BOB, 1), { ok: true, text: 'hi' });
    const id = '00000000-0000-4000-8000-0000000000ff';
    model.addPending(id, 'hello');
    const mine = () => messages(model).find((entry) => entry.own)!;
    expect(model.statusOf(mine()).status).toBe('pending');
    expect(messages(model).at(-1)?.own).toBe(true);
    model.updateOutgoing({
      clientMsgId: id,
      conversationId: CONVERSATION,
      status: 'sent',
      seq: 2,
      deliveredCount: 0,
      readCount: 0,
    });
    expect(model.statusOf(mine()).status).toBe('sent');
    model.applyReceipt(BOB, 2, 1);
    expect(model.statusOf(mine()).status).toBe('delivered');
    model.applyReceipt(BOB, 2, 2);
    expect(model.statusOf(mine())).toEqual({ status: 'read', deliveredCount: 1, readCount: 1, others: 1 });
    // A late, lower receipt never moves a cursor back.
    model.applyReceipt(BOB, 1, 1);
    expect(model.statusOf(mine()).status).toBe('read');
    // The echo of my own message merges with it.
    model.addStored(stored(ME, 2, id), { ok: true, text: 'hello' });
    expect(messages(model)).toHaveLength(2);
  });

  it('counts members in a group', () => {
    const model = new ChatModel(ME, conversation('group', [ME, BOB, CAROL]));
    model.addStored(stored(ME, 1), { ok: true, text: 'hi all' });
    model.applyReceipt(BOB, 1, 1);
    expect(model.statusOf(messages(model)[0]!)).toEqual({
      status: 'read',
      deliveredCount: 1,
      readCount: 1,
      others: 2,
    });
    model.applyReceipt(CAROL, 1, 0);
    expect(model.statusOf(messages(model)[0]!).deliveredCount).toBe(2);
  });

  it('marks a message that failed', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.addPending('00000000-0000-4000-8000-0000000000fe', 'x');
    model.failPending('00000000-0000-4000-8000-0000000000fe', 'no keys');
    expect(model.statusOf(messages(model)[0]!).status).toBe('failed');
  });

  it('forgets typing after a while and when the typist sends', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.setTyping(BOB, 'start', 1_000);
    expect(model.typing(2_000)).toEqual([BOB]);
    expect(model.typing(8_000)).toEqual([]);
    model.setTyping(BOB, 'start', Date.now());
    model.addStored(stored(BOB, 1), { ok: true, text: 'done typing' });
    expect(model.typing()).toEqual([]);
    model.setTyping(ME, 'start');
    expect(model.typing()).toEqual([]);
  });

  it('keeps notes after the message they followed', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.addStored(stored(BOB, 5), { ok: true, text: 'five' });
    model.note('bob joined');
    model.addStored(stored(BOB, 6), { ok: true, text: 'six' });
    model.addStored(stored(BOB, 4), { ok: true, text: 'four' });
    expect(model.timeline().map((entry) => (entry.kind === 'note' ? entry.text : entry.seq))).toEqual([
      4,
      5,
      'bob joined',
      6,
    ]);
  });
});

describe('renderScreen', () => {
  it('fills the terminal exactly: header, messages, status line, input', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.setConnection({ state: 'live' });
    model.setPresence(BOB, { status: 'online', lastSeenAt: null });
    model.addStored(stored(BOB, 1), { ok: true, text: 'hello alice' });
    model.addStored(stored(ME, 2), { ok: true, text: 'hi bob' });
    model.applyReceipt(BOB, 2, 2);
    const screen = renderScreen(
      model,
      view({ input: { text: 'typing this', cursorColumn: 11 } }),
      createStyle(false),
    );
    expect(screen.lines).toHaveLength(12);
    for (const line of screen.lines) expect(displayWidth(line)).toBeLessThanOrEqual(60);
    expect(screen.lines[0]).toMatch(/^ bob · online +● connected $/);
    expect(screen.lines[9]).toBe('10:02 alice: hi bob ✓✓\u00a0seen');
    expect(screen.lines[8]).toBe('10:01 bob: hello alice');
    expect(screen.lines[11]).toBe('› typing this');
    expect(screen.cursor).toEqual({ row: 11, column: 13 });
  });

  it('wraps long messages under their text and never wider than the terminal', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.addStored(stored(BOB, 1), { ok: true, text: 'word '.repeat(30).trim() });
    const screen = renderScreen(model, view({ width: 30, height: 20 }), createStyle(true));
    const body = screen.lines.map(stripAnsi).filter((line) => line.includes('word'));
    expect(body.length).toBeGreaterThan(3);
    expect(body[1]).toMatch(/^ {11}word/);
    for (const line of screen.lines) expect(displayWidth(stripAnsi(line))).toBeLessThanOrEqual(30);
  });

  it('shows typing, the reconnect countdown and an unreadable message', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    const now = new Date(2025, 5, 15, 12, 0);
    model.setConnection({ state: 'offline', retryAt: now.getTime() + 2_500 });
    model.addStored(stored(BOB, 1), { ok: false, reason: 'the signature does not verify' });
    model.setTyping(BOB, 'start', now.getTime());
    const lines = renderScreen(model, view({ now, width: 80 }), createStyle(false)).lines;
    expect(lines[0]).toContain('✗ offline · retrying in 3 s');
    expect(lines[10]).toBe('  bob is typing…');
    expect(lines.join('\n')).toContain('[cannot read this message: the signature does not verify]');
  });

  it('scrolls back and says there is more below and above', () => {
    const model = new ChatModel(ME, conversation('group', [ME, BOB, CAROL]));
    for (let seq = 1; seq <= 30; seq++)
      model.addStored(stored(BOB, seq), { ok: true, text: `message ${seq}` });
    model.hasMoreAbove = true;
    const bottom = renderScreen(model, view(), createStyle(false));
    expect(bottom.lines[9]).toContain('message 30');
    const top = renderScreen(model, view({ scroll: 1_000 }), createStyle(false));
    expect(top.lines[1]).toContain('older messages');
    expect(top.lines[2]).toContain('message 1');
    expect(top.lines[10]).toContain('more lines below');
  });

  it('writes no escape sequences with colour off', () => {
    const model = new ChatModel(ME, conversation('direct', [ME, BOB]));
    model.addStored(stored(ME, 1), { ok: true, text: 'x' });
    model.setConnection({ state: 'connecting' });
    expect(renderScreen(model, view(), createStyle(false)).lines.join('\n')).not.toContain('\x1b');
  });
});
