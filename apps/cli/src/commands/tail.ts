import type { Conversation, StoredMessage } from '@im/contracts';
import * as endpoints from '../api/endpoints.js';
import type { Context } from '../cli/context.js';
import { CliError, ExitCode } from '../cli/errors.js';
import { flagOption, type OptionValues } from '../cli/parse.js';
import { createClient } from '../connection.js';
import type { Directory } from '../directory.js';
import type { Opened } from '../keys.js';
import { clockTime, colorName, localDateTime } from '../ui/format.js';
import { sanitize } from '../ui/text.js';
import { untilInterrupted } from './lifecycle.js';

/** One line of `im tail --json`. */
export type TailRecord =
  | {
      type: 'message';
      id: string;
      conversationId: string;
      /** `bob` (a direct chat) or `#team`. */
      conversation: string;
      kind: 'direct' | 'group';
      seq: number;
      senderId: string;
      sender: string;
      /** Null when the message cannot be opened (see `error`). */
      text: string | null;
      error?: string;
      own: boolean;
      sentAt: string;
    }
  | { type: 'broadcast'; from: string; text: string; at: string };

/** The most unread messages per conversation printed after a resync. */
const CATCH_UP_LIMIT = 200;

export async function tailCommand(ctx: Context, _args: string[], options: OptionValues): Promise<void> {
  const json = flagOption(options, 'json');
  const includeOwn = flagOption(options, 'own');
  const session = await ctx.session();
  const keys = await ctx.keys();
  const directory = await ctx.directory();
  const conversations = new ConversationCache(ctx, directory);
  const client = createClient(session);
  const printed = new Set<string>();
  let fatal: unknown;
  let queue = Promise.resolve();
  const stopped = untilInterrupted(ctx);

  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((error: unknown) => {
      fatal = error;
      stopped.stop();
    });
  };

  const show = async (message: StoredMessage) => {
    const key = `${message.conversationId}:${message.seq}`;
    if (printed.has(key)) return;
    printed.add(key);
    const own = message.senderId === session.userId;
    if (own && !includeOwn) return;
    // Names and titles make the line friendlier; without them (server hiccup) it still prints, with ids.
    const conversation = await conversations.get(message.conversationId).catch(() => undefined);
    await directory.learn([message.senderId]).catch(() => undefined);
    const opened = await keys.openMessage(message);
    const record = toRecord(message, conversation, opened, directory, own);
    ctx.print(json ? JSON.stringify(record) : formatLine(ctx, record, conversation));
  };

  /** A device the server cannot catch up from its cursors: print what is unread over HTTP instead. */
  const catchUp = async (reason: string) => {
    if (reason === 'retention')
      ctx.warn('some messages are older than the server keeps; showing what remains');
    for (const conversation of await conversations.refresh()) {
      const me = conversation.members.find((member) => member.userId === session.userId);
      if (client.cursor(conversation.id) === undefined)
        client.setCursor(conversation.id, conversation.lastSeq);
      if (!me || conversation.unreadCount === 0) continue;
      const after = Math.max(me.readSeq, conversation.lastSeq - CATCH_UP_LIMIT);
      const page = await endpoints.history(session, conversation.id, { after, limit: CATCH_UP_LIMIT });
      for (const message of page.messages) await show(message);
    }
  };

  client.on('message', (message) => enqueue(() => show(message)));
  client.on('resync', ({ reason }) => enqueue(() => catchUp(reason)));
  client.on('broadcast', (frame) =>
    enqueue(async () => {
      const record: TailRecord = { type: 'broadcast', from: frame.from, text: frame.text, at: frame.at };
      ctx.print(
        json
          ? JSON.stringify(record)
          : `${timeOf(ctx, frame.at)} ${ctx.out.yellow(`[${sanitize(frame.from)}]`)} ${sanitize(frame.text)}`,
      );
    }),
  );
  client.on('keys', (frame) => keys.invalidate(frame.userId));
  client.on('conversation', (frame) => conversations.invalidate(frame.conversationId));
  client.on('disconnected', (info) => {
    if (info.reconnectInMs === null) {
      if (!stopped.done) {
        fatal = new CliError(`the server ended the connection: ${info.reason || `code ${info.code}`}`, {
          exitCode: info.code === 4401 || info.code === 4403 ? ExitCode.noAuth : ExitCode.unavailable,
        });
        stopped.stop();
      }
      return;
    }
    ctx.note(
      ctx.err.yellow(
        `connection lost${info.reason ? ` (${info.reason})` : ''}; reconnecting in ${Math.ceil(info.reconnectInMs / 1000)} s…`,
      ),
    );
  });
  let wasLive = false;
  client.on('state', (state) => {
    if (state !== 'live') return;
    if (!wasLive && ctx.io.stderr.isTTY) ctx.note(ctx.err.dim('Waiting for messages… (Ctrl-C to stop)'));
    else if (wasLive) ctx.note(ctx.err.green('connected again'));
    wasLive = true;
  });

  client.connect();
  await stopped.promise;
  await client.close();
  await queue;
  if (fatal) throw fatal;
}

type MessageRecord = Extract<TailRecord, { type: 'message' }>;

function toRecord(
  message: StoredMessage,
  conversation: Conversation | undefined,
  opened: Opened,
  directory: Directory,
  own: boolean,
): MessageRecord {
  return {
    type: 'message',
    id: message.id,
    conversationId: message.conversationId,
    conversation: conversation ? directory.title(conversation) : message.conversationId,
    kind: conversation?.kind ?? 'direct',
    seq: message.seq,
    senderId: message.senderId,
    sender: directory.name(message.senderId),
    text: opened.ok ? opened.text : null,
    ...(opened.ok ? {} : { error: opened.reason }),
    own,
    sentAt: message.createdAt,
  };
}

function timeOf(ctx: Context, at: string): string {
  return ctx.interactive ? ctx.out.dim(clockTime(new Date(at))) : localDateTime(new Date(at));
}

/** `14:05 alice: hi`, `14:05 #team alice: hi`, `14:05 alice → bob: hi` (my own, with --own). */
export function formatLine(
  ctx: Pick<Context, 'interactive' | 'out'>,
  record: MessageRecord,
  conversation: Conversation | undefined,
): string {
  const { out } = ctx;
  const time = ctx.interactive
    ? out.dim(clockTime(new Date(record.sentAt)))
    : localDateTime(new Date(record.sentAt));
  const where =
    record.kind === 'group'
      ? `${out.cyan(sanitize(record.conversation))} ${colorName(out, record.sender)}`
      : record.own && conversation
        ? `${colorName(out, record.sender)} → ${colorName(out, record.conversation)}`
        : colorName(out, record.sender);
  const body =
    record.text === null
      ? out.red(`[cannot read this message: ${record.error ?? 'unknown reason'}]`)
      : sanitize(record.text);
  const [first = '', ...rest] = body.split('\n');
  return [`${time} ${where}: ${first}`, ...rest.map((line) => `  ${line}`)].join('\n');
}

/** Conversations by id, fetched when one is not known yet or has changed. */
class ConversationCache {
  readonly #ctx: Context;
  readonly #directory: Directory;
  readonly #byId = new Map<string, Conversation>();

  constructor(ctx: Context, directory: Directory) {
    this.#ctx = ctx;
    this.#directory = directory;
  }

  async refresh(): Promise<Conversation[]> {
    const list = await endpoints.conversations(await this.#ctx.session());
    for (const conversation of list) this.#byId.set(conversation.id, conversation);
    await this.#directory.learn(
      list.flatMap((conversation) => conversation.members.map((member) => member.userId)),
    );
    return list;
  }

  async get(conversationId: string): Promise<Conversation | undefined> {
    if (!this.#byId.has(conversationId)) await this.refresh();
    return this.#byId.get(conversationId);
  }

  invalidate(conversationId: string): void {
    this.#byId.delete(conversationId);
  }
}
