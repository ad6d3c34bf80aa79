import { randomUUID } from 'node:crypto';
import type { ImClient } from '@im/client';
import type { Conversation, StoredMessage } from '@im/contracts';
import { fingerprint, publicBundle, safetyNumber } from '@im/crypto';
import * as endpoints from '../api/endpoints.js';
import type { Session } from '../api/session.js';
import { CliError } from '../cli/errors.js';
import { createClient } from '../connection.js';
import type { Directory } from '../directory.js';
import type { KeyNotice, Keys } from '../keys.js';
import { relativeTime } from '../ui/format.js';
import { type Body, ChatModel } from './model.js';

const HISTORY_PAGE = 50;
const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;

export const CHAT_HELP = [
  'Type a message and press Enter to send it (start it with // to send a line that begins with /).',
  '/members           who is in this chat, and who is online',
  '/fingerprint [who] the safety number to compare with them out of band',
  '/more              load older messages (or PgUp at the top)',
  '/help              this help',
  '/quit              leave (or Ctrl-C, or Ctrl-D on an empty line)',
];

/**
 * One open chat: loads its history, keeps the protocol client's events
 * flowing into the model (decrypting as messages come), sends what is typed,
 * marks what is shown as read, and says when someone is typing. The screen
 * (or the plain line mode) only draws the model and feeds input in.
 */
export class ChatController {
  readonly model: ChatModel;
  readonly client: ImClient;
  /** Called after every change of the model. */
  onChange: () => void = () => undefined;
  readonly #session: Session;
  readonly #keys: Keys;
  readonly #directory: Directory;
  readonly #debug: boolean;
  readonly #otherConversations = new Map<string, Promise<Conversation | undefined>>();
  #readSent = 0;
  #typingSentAt = 0;
  #typingStop: ReturnType<typeof setTimeout> | undefined;
  #loadingOlder = false;
  #reauthenticated = false;
  #closed = false;
  readonly #changeWaiters = new Set<() => void>();

  /** @param debug also show the protocol client's own hiccups (gap repairs, token fetches), not only the server's errors. */
  constructor(session: Session, keys: Keys, directory: Directory, conversation: Conversation, debug = false) {
    this.#session = session;
    this.#keys = keys;
    this.#directory = directory;
    this.#debug = debug;
    this.model = new ChatModel(session.userId, conversation);
    this.client = createClient(session);
  }

  get conversationId(): string {
    return this.model.conversation.id;
  }

  get title(): string {
    return this.#directory.title(this.model.conversation);
  }

  name = (userId: string): string => this.#directory.name(userId);

  /** Loads the newest history and presence, then connects. */
  async start(): Promise<void> {
    const conversation = this.model.conversation;
    const me = conversation.members.find((member) => member.userId === this.#session.userId);
    await this.#loadNewest();
    if (me && me.readSeq < conversation.lastSeq && this.model.firstSeq !== undefined) {
      this.model.note('new messages', 'divider', me.readSeq);
    }
    this.#loadPresence();
    this.#fetchMemberKeys();
    this.#wire();
    this.client.applyMembers(conversation.id, conversation.members);
    if (this.client.cursor(conversation.id) === undefined)
      this.client.setCursor(conversation.id, this.model.lastSeq);
    this.client.connect();
    this.#changed();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTyping();
    await this.client.close();
  }

  /** A line typed by the person: a /command, or a message. Resolves 'quit' when they asked to leave. */
  async submit(line: string): Promise<'quit' | undefined> {
    if (line.startsWith('/') && !line.startsWith('//')) return this.#command(line.slice(1).trim());
    await this.send(line.startsWith('//') ? line.slice(1) : line);
    return undefined;
  }

  /** Seals and sends a message; it shows at once as pending and follows the client's status from there. */
  async send(text: string): Promise<void> {
    this.#stopTyping();
    const clientMsgId = randomUUID();
    this.model.addPending(clientMsgId, text);
    this.#changed();
    try {
      const envelope = await this.#keys.sealText(
        this.conversationId,
        this.model.conversation.members.map((member) => member.userId),
        clientMsgId,
        text,
      );
      this.client.send(this.conversationId, envelope);
    } catch (error) {
      this.model.failPending(clientMsgId, describe(error));
      this.model.note(`not sent: ${describe(error)}`, 'error');
      this.#changed();
    }
  }

  /** The input line changed: tell the others that this person is typing (throttled), or stopped. */
  inputChanged(value: string): void {
    if (value === '' || value.startsWith('/')) {
      this.#stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this.#typingSentAt > TYPING_REPEAT_MS) {
      this.client.typing(this.conversationId, 'start');
      this.#typingSentAt = now;
    }
    clearTimeout(this.#typingStop);
    this.#typingStop = setTimeout(() => this.#stopTyping(), TYPING_IDLE_MS);
  }

  /** Loads the page of history above what is shown. */
  async loadOlder(): Promise<void> {
    const first = this.model.firstSeq;
    if (!this.model.hasMoreAbove || first === undefined || this.#loadingOlder) return;
    this.#loadingOlder = true;
    try {
      const page = await endpoints.history(this.#session, this.conversationId, {
        before: first,
        limit: HISTORY_PAGE,
      });
      await this.#addAll(page.messages);
      this.model.hasMoreAbove = page.hasMore;
    } catch (error) {
      this.model.note(`could not load older messages: ${describe(error)}`, 'error');
    } finally {
      this.#loadingOlder = false;
      this.#changed();
    }
  }

  /** Shows a failure in the chat (the screen must never die of one). */
  showError(error: unknown): void {
    this.model.note(describe(error), 'error');
    this.#changed();
  }

  /** Shows a key change of a contact in the chat (instead of on standard error). */
  keyChanged(notice: KeyNotice): void {
    const name = this.name(notice.userId);
    this.model.note(
      `${name}'s keys changed (version ${notice.from} → ${notice.to}): compare your safety number again with /fingerprint ${name}`,
      'warn',
    );
    this.#changed();
  }

  // ---- wiring -------------------------------------------------------------------

  #wire(): void {
    const client = this.client;
    client.on('state', (state) => {
      this.model.setConnection({ state });
      if (state === 'live') this.#markRead();
      this.#changed();
    });
    client.on('disconnected', (info) => {
      if (this.#closed) return;
      if (info.reconnectInMs !== null) {
        this.model.setConnection({ state: 'offline', retryAt: Date.now() + info.reconnectInMs });
      } else if (info.code === 4401 && !this.#reauthenticated) {
        // The gateway refused the token (expired early, clock skew): refresh it once and connect again.
        this.#reauthenticated = true;
        void this.#session
          .refresh(this.#session.account.accessToken)
          .then(() => this.client.connect())
          .catch((error: unknown) => this.#end(describe(error)));
      } else {
        this.#end(
          info.code === 4403 ? 'this session has ended; run `im login`' : info.reason || `code ${info.code}`,
        );
      }
      this.#changed();
    });
    client.on('ready', () => {
      this.#reauthenticated = false;
    });
    client.on('message', (message) => this.#guard(this.#receive(message), 'could not show a message'));
    client.on('status', (status) => {
      if (status.conversationId !== this.conversationId) return;
      this.model.updateOutgoing(status);
      if (status.status === 'failed') {
        this.model.note(`a message was not sent: ${status.error?.message ?? 'refused'}`, 'error');
      }
      this.#changed();
    });
    client.on('receipt', (frame) => {
      if (frame.conversationId !== this.conversationId) return;
      this.model.applyReceipt(frame.userId, frame.deliveredSeq, frame.readSeq);
      this.#changed();
    });
    client.on('typing', (frame) => {
      if (frame.conversationId !== this.conversationId) return;
      this.model.setTyping(frame.userId, frame.state);
      this.#changed();
    });
    client.on('presence', (frame) => {
      if (!this.model.conversation.members.some((member) => member.userId === frame.userId)) return;
      this.model.setPresence(frame.userId, { status: frame.status, lastSeenAt: frame.lastSeenAt });
      this.#changed();
    });
    client.on('conversation', (frame) => {
      this.#otherConversations.delete(frame.conversationId);
      if (frame.conversationId === this.conversationId) {
        this.#guard(this.#reloadConversation(), 'could not load the members');
      }
    });
    client.on('keys', (frame) => {
      this.#keys.invalidate(frame.userId);
      if (this.model.conversation.members.some((member) => member.userId === frame.userId)) {
        // Fetching checks the new keys against the pinned ones and reports the change.
        this.#keys.current(frame.userId).catch((error: unknown) => {
          this.model.note(describe(error), 'error');
          this.#changed();
        });
      }
    });
    client.on('resync', () =>
      this.#guard(
        this.#loadNewest().then(() => this.#changed()),
        'could not load the history',
      ),
    );
    client.on('error', (error) => {
      if (error.code.startsWith('CLIENT_') && !this.#debug) return;
      this.model.note(`${error.message} (${error.code})`, 'warn');
      this.#changed();
    });
    client.on('broadcast', (frame) => {
      this.model.note(`📢 ${frame.from}: ${frame.text}`, 'warn');
      this.#changed();
    });
  }

  async #receive(message: StoredMessage): Promise<void> {
    if (message.conversationId !== this.conversationId) {
      await this.#elsewhere(message);
    } else {
      await this.#directory.learn([message.senderId]);
      this.model.addStored(message, await this.#open(message));
      if (message.senderId !== this.#session.userId) this.#markRead();
    }
    this.#changed();
  }

  /** Runs background work; a failure becomes a note on the screen instead of an unhandled rejection. */
  #guard(work: Promise<unknown>, what: string): void {
    work.catch((error: unknown) => {
      this.model.note(`${what}: ${describe(error)}`, 'error');
      this.#changed();
    });
  }

  /** A message of another conversation: a one-line notice, so the person knows where to look. */
  async #elsewhere(message: StoredMessage): Promise<void> {
    if (message.senderId === this.#session.userId) return;
    let conversation = this.#otherConversations.get(message.conversationId);
    if (!conversation) {
      conversation = endpoints.conversation(this.#session, message.conversationId).catch(() => undefined);
      this.#otherConversations.set(message.conversationId, conversation);
    }
    await this.#directory.learn([message.senderId]);
    const found = await conversation;
    const sender = this.name(message.senderId);
    const where = found?.kind === 'group' ? ` in ${this.#directory.title(found)}` : '';
    const open = found ? this.#directory.title(found) : sender;
    this.model.note(`new message from ${sender}${where} (im chat ${JSON.stringify(open)})`);
  }

  async #open(message: StoredMessage): Promise<Body> {
    const opened = await this.#keys.openMessage(message);
    return opened.ok ? { ok: true, text: opened.text } : { ok: false, reason: opened.reason };
  }

  async #addAll(messages: readonly StoredMessage[]): Promise<void> {
    await this.#directory.learn(messages.map((message) => message.senderId));
    const bodies = await Promise.all(messages.map((message) => this.#open(message)));
    messages.forEach((message, index) => {
      this.model.addStored(message, bodies[index]!);
    });
  }

  async #loadNewest(): Promise<void> {
    const page = await endpoints.history(this.#session, this.conversationId, { limit: HISTORY_PAGE });
    await this.#addAll(page.messages);
    if (this.model.firstSeq === page.messages[0]?.seq) this.model.hasMoreAbove = page.hasMore;
  }

  #loadPresence(): void {
    endpoints
      .presence(this.#session, this.model.others)
      .then((list) => {
        for (const entry of list) this.model.setPresence(entry.userId, entry);
        this.#changed();
      })
      .catch((error: unknown) => {
        this.model.note(`presence unavailable: ${describe(error)}`, 'warn');
        this.#changed();
      });
  }

  /** Fetches (and checks) the members' keys now, so that a message typed while offline can still be sealed. */
  #fetchMemberKeys(): void {
    for (const member of this.model.conversation.members) {
      this.#keys.current(member.userId).catch((error: unknown) => {
        this.model.note(describe(error), 'warn');
        this.#changed();
      });
    }
  }

  async #reloadConversation(): Promise<void> {
    const before = new Set(this.model.conversation.members.map((member) => member.userId));
    let conversation: Conversation;
    try {
      conversation = await endpoints.conversation(this.#session, this.conversationId);
    } catch (error) {
      // Removed from the group: the server no longer shows it to us.
      this.model.setConversation({
        ...this.model.conversation,
        members: this.model.conversation.members.filter((member) => member.userId !== this.#session.userId),
      });
      this.model.note(`you are no longer in ${this.title} (${describe(error)})`, 'warn');
      this.#changed();
      return;
    }
    const after = new Set(conversation.members.map((member) => member.userId));
    await this.#directory.learn(after);
    this.model.setConversation(conversation);
    this.#fetchMemberKeys();
    for (const userId of after) if (!before.has(userId)) this.model.note(`${this.name(userId)} joined`);
    for (const userId of before) if (!after.has(userId)) this.model.note(`${this.name(userId)} left`);
    this.#changed();
  }

  #markRead(): void {
    const seq = this.model.lastSeq;
    if (seq <= this.#readSent || (this.client.state !== 'live' && this.client.state !== 'syncing')) return;
    this.client.markRead(this.conversationId, seq);
    this.#readSent = seq;
  }

  #stopTyping(): void {
    clearTimeout(this.#typingStop);
    this.#typingStop = undefined;
    if (this.#typingSentAt === 0) return;
    this.#typingSentAt = 0;
    this.client.typing(this.conversationId, 'stop');
  }

  #end(reason: string): void {
    this.model.setConnection({ state: 'offline', ended: reason });
    this.#changed();
  }

  #changed(): void {
    this.onChange();
    for (const waiter of [...this.#changeWaiters]) waiter();
  }

  /** How many messages of this run wait to be stored. */
  pendingCount(): number {
    return this.model
      .timeline()
      .filter((entry) => entry.kind === 'message' && entry.outgoing?.status === 'pending').length;
  }

  /** Resolves once nothing of this run is pending, or after `timeoutMs`, with what still is. */
  async settle(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingCount() > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#changeWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, deadline - Date.now());
        this.#changeWaiters.add(done);
      });
    }
    return this.pendingCount();
  }

  // ---- /commands ---------------------------------------------------------------

  async #command(line: string): Promise<'quit' | undefined> {
    const [name = '', ...args] = line.split(/\s+/);
    switch (name.toLowerCase()) {
      case 'q':
      case 'quit':
      case 'exit':
        return 'quit';
      case 'help':
      case '?':
        for (const text of CHAT_HELP) this.model.note(text);
        break;
      case 'members':
        this.#members();
        break;
      case 'fingerprint':
        await this.#fingerprint(args[0]);
        break;
      case 'more':
        await this.loadOlder();
        break;
      default:
        this.model.note(`unknown command /${name}; /help lists the commands`, 'error');
    }
    this.#changed();
    return undefined;
  }

  #members(): void {
    const now = new Date();
    const list = this.model.conversation.members.map((member) => {
      const presence = this.model.presence.get(member.userId);
      const state =
        member.userId === this.#session.userId
          ? 'you'
          : presence?.status === 'online'
            ? 'online'
            : presence?.lastSeenAt
              ? `last seen ${relativeTime(new Date(presence.lastSeenAt), now)}`
              : 'offline';
      return `${this.name(member.userId)}${member.role === 'owner' ? ' (owner)' : ''}: ${state}`;
    });
    this.model.note(`${list.length} members: ${list.join(', ')}`);
  }

  async #fingerprint(who: string | undefined): Promise<void> {
    const others = this.model.others;
    let userId: string | undefined;
    if (who) userId = others.find((id) => this.name(id).toLowerCase() === who.toLowerCase());
    else if (others.length === 1) userId = others[0];
    if (!userId) {
      this.model.note(who ? `${who} is not in this chat` : 'name a member: /fingerprint <name>', 'error');
      return;
    }
    try {
      const mine = publicBundle(this.#keys.identity);
      const number = safetyNumber(mine, await this.#keys.current(userId));
      this.model.note(`safety number with ${this.name(userId)}: ${number}`);
      this.model.note(`(your own key fingerprint: ${fingerprint(mine)})`);
    } catch (error) {
      this.model.note(describe(error), 'error');
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof CliError && error.hint) return `${error.message} (${error.hint})`;
  return error instanceof Error ? error.message : String(error);
}
