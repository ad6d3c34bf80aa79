import type { ConnectionState, OutgoingMessage } from '@im/client';
import type { Conversation, Member } from '@im/contracts';

export type Body = { ok: true; text: string } | { ok: false; reason: string };

export interface MessageEntry {
  readonly kind: 'message';
  /** `senderId:clientMsgId`: the same for a message while pending and once stored. */
  readonly key: string;
  seq: number | undefined;
  readonly senderId: string;
  at: Date;
  readonly body: Body;
  readonly own: boolean;
  /** Set for a message this run sent and the server has not stored yet (or refused). */
  outgoing?: Pick<OutgoingMessage, 'status' | 'error'>;
}

export interface NoteEntry {
  readonly kind: 'note';
  readonly key: string;
  /** Shown after the message with this seq (notes keep their place as history loads above them). */
  readonly afterSeq: number;
  readonly text: string;
  readonly level: 'info' | 'warn' | 'error' | 'divider';
  readonly at: Date;
}

export type Entry = MessageEntry | NoteEntry;

export interface ConnectionView {
  state: ConnectionState;
  /** When the next attempt starts (epoch ms), while offline and reconnecting. */
  retryAt?: number;
  /** Set once the client will not reconnect by itself. */
  ended?: string;
}

export interface Presence {
  status: 'online' | 'offline';
  lastSeenAt: string | null;
}

export interface DerivedStatus {
  status: OutgoingMessage['status'];
  deliveredCount: number;
  readCount: number;
  /** The other members (what the counts are out of). */
  others: number;
}

const TYPING_TTL_MS = 6_000;

/**
 * What the chat screen shows, without any terminal in it: the messages
 * (ordered by seq; my unsent ones last), notes between them, the members'
 * delivered/read cursors (from which the status of my messages follows),
 * who is typing, presence, and the connection state.
 */
export class ChatModel {
  readonly me: string;
  conversation: Conversation;
  connection: ConnectionView = { state: 'offline' };
  /** Older history exists on the server above the first loaded message. */
  hasMoreAbove = false;
  readonly presence = new Map<string, Presence>();
  readonly #messages = new Map<string, MessageEntry>();
  readonly #notes: NoteEntry[] = [];
  readonly #cursors = new Map<string, { deliveredSeq: number; readSeq: number }>();
  readonly #typing = new Map<string, number>();
  #version = 0;
  #noteCount = 0;
  #timeline: Entry[] | undefined;

  constructor(me: string, conversation: Conversation) {
    this.me = me;
    this.conversation = conversation;
    this.setMembers(conversation.members);
  }

  /** Changes on every update: a renderer can skip work when it has not moved. */
  get version(): number {
    return this.#version;
  }

  get others(): string[] {
    return this.conversation.members.map((member) => member.userId).filter((userId) => userId !== this.me);
  }

  get isMember(): boolean {
    return this.conversation.members.some((member) => member.userId === this.me);
  }

  /** Highest seq shown. */
  get lastSeq(): number {
    let last = 0;
    for (const entry of this.#messages.values())
      if (entry.seq !== undefined && entry.seq > last) last = entry.seq;
    return last;
  }

  /** Lowest seq shown (undefined before any message). */
  get firstSeq(): number | undefined {
    let first: number | undefined;
    for (const entry of this.#messages.values()) {
      if (entry.seq !== undefined && (first === undefined || entry.seq < first)) first = entry.seq;
    }
    return first;
  }

  setConversation(conversation: Conversation): void {
    this.conversation = conversation;
    this.setMembers(conversation.members);
  }

  setMembers(members: readonly Pick<Member, 'userId' | 'deliveredSeq' | 'readSeq'>[]): void {
    for (const member of members) this.applyReceipt(member.userId, member.deliveredSeq, member.readSeq);
    this.#touch();
  }

  applyReceipt(userId: string, deliveredSeq: number, readSeq: number): void {
    const known = this.#cursors.get(userId);
    this.#cursors.set(userId, {
      deliveredSeq: Math.max(deliveredSeq, known?.deliveredSeq ?? 0),
      readSeq: Math.max(readSeq, known?.readSeq ?? 0),
    });
    this.#touch();
  }

  /** A message from the server (history, drain or live). A duplicate only fills in what was missing. */
  addStored(
    message: { senderId: string; clientMsgId: string; seq: number; createdAt: string },
    body: Body,
  ): void {
    const key = `${message.senderId}:${message.clientMsgId}`;
    const existing = this.#messages.get(key);
    if (existing) {
      existing.seq = message.seq;
      existing.at = new Date(message.createdAt);
      delete existing.outgoing;
    } else {
      this.#messages.set(key, {
        kind: 'message',
        key,
        seq: message.seq,
        senderId: message.senderId,
        at: new Date(message.createdAt),
        body,
        own: message.senderId === this.me,
      });
    }
    this.#typing.delete(message.senderId);
    this.#touch();
  }

  /** A message I am sending: shown at once, pending. */
  addPending(clientMsgId: string, text: string, at = new Date()): void {
    const key = `${this.me}:${clientMsgId}`;
    if (this.#messages.has(key)) return;
    this.#messages.set(key, {
      kind: 'message',
      key,
      seq: undefined,
      senderId: this.me,
      at,
      body: { ok: true, text },
      own: true,
      outgoing: { status: 'pending' },
    });
    this.#touch();
  }

  /** A status change of a message I sent (from the protocol client). */
  updateOutgoing(status: OutgoingMessage): void {
    const entry = this.#messages.get(`${this.me}:${status.clientMsgId}`);
    if (!entry) return;
    if (status.seq !== undefined) {
      entry.seq = status.seq;
      delete entry.outgoing;
    } else {
      entry.outgoing = { status: status.status, ...(status.error ? { error: status.error } : {}) };
    }
    this.#touch();
  }

  /** A message I could not even hand to the client (sealing failed). */
  failPending(clientMsgId: string, message: string): void {
    const entry = this.#messages.get(`${this.me}:${clientMsgId}`);
    if (!entry) return;
    entry.outgoing = { status: 'failed', error: { code: 'CLIENT', message } };
    this.#touch();
  }

  /** The status of one of my messages: pending/failed from the client, then from the members' cursors. */
  statusOf(entry: MessageEntry): DerivedStatus {
    const others = this.others;
    if (entry.outgoing || entry.seq === undefined) {
      return {
        status: entry.outgoing?.status ?? 'pending',
        deliveredCount: 0,
        readCount: 0,
        others: others.length,
      };
    }
    let deliveredCount = 0;
    let readCount = 0;
    for (const userId of others) {
      const cursor = this.#cursors.get(userId);
      if (!cursor) continue;
      if (cursor.deliveredSeq >= entry.seq || cursor.readSeq >= entry.seq) deliveredCount++;
      if (cursor.readSeq >= entry.seq) readCount++;
    }
    const status = readCount > 0 ? 'read' : deliveredCount > 0 ? 'delivered' : 'sent';
    return { status, deliveredCount, readCount, others: others.length };
  }

  note(text: string, level: NoteEntry['level'] = 'info', afterSeq = this.lastSeq): void {
    this.#notes.push({
      kind: 'note',
      key: `note:${++this.#noteCount}`,
      afterSeq,
      text,
      level,
      at: new Date(),
    });
    this.#touch();
  }

  setTyping(userId: string, state: 'start' | 'stop', now = Date.now()): void {
    if (userId === this.me) return;
    if (state === 'start') this.#typing.set(userId, now + TYPING_TTL_MS);
    else this.#typing.delete(userId);
    this.#touch();
  }

  /** Who is typing now (expired indications dropped). */
  typing(now = Date.now()): string[] {
    for (const [userId, until] of this.#typing) if (until <= now) this.#typing.delete(userId);
    return [...this.#typing.keys()];
  }

  /** When the next typing indication expires (to re-render then), or undefined. */
  nextTypingExpiry(): number | undefined {
    const times = [...this.#typing.values()];
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  setPresence(userId: string, presence: Presence): void {
    this.presence.set(userId, presence);
    this.#touch();
  }

  setConnection(connection: ConnectionView): void {
    this.connection = connection;
    this.#touch();
  }

  /** Everything in display order: by seq, notes after the seq they follow, my unsent messages last. */
  timeline(): Entry[] {
    if (this.#timeline) return this.#timeline;
    const sortKey = (entry: Entry): [number, number, number] => {
      if (entry.kind === 'note') return [entry.afterSeq, 1, Number(entry.key.slice(5))];
      if (entry.seq === undefined) return [Number.POSITIVE_INFINITY, 0, entry.at.getTime()];
      return [entry.seq, 0, 0];
    };
    const entries: Entry[] = [...this.#messages.values(), ...this.#notes];
    const keys = new Map(entries.map((entry) => [entry, sortKey(entry)]));
    entries.sort((a, b) => {
      const x = keys.get(a)!;
      const y = keys.get(b)!;
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    this.#timeline = entries;
    return entries;
  }

  #touch(): void {
    this.#version++;
    this.#timeline = undefined;
  }
}
