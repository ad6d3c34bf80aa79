import type { ErrorCode, MessagePayload, StoredMessage } from '@im/contracts';
import { ErrorCatalog } from '@im/contracts';
import type { NewOutboxEvent } from '../repositories/outbox.js';
import type { MessageStore } from '../repositories/store.js';
import type { MessageRow } from '../repositories/types.js';
import { uuidv7 } from './ids.js';
import { toStoredMessage } from './mapping.js';
import { advanceMemberCursors } from './receipts.js';

export type SendCommand = MessagePayload<'message.send.v1'>;

export type SendOutcome =
  /** Stored now, with its seq. */
  | { readonly status: 'stored'; readonly message: StoredMessage }
  /** Stored before under the same (sender, clientMsgId): announced again, not stored twice. */
  | { readonly status: 'duplicate'; readonly message: StoredMessage }
  /** Refused for good; the sender is told through `message.rejected.v1`. */
  | { readonly status: 'rejected'; readonly code: ErrorCode; readonly reason: string };

export interface SendOptions {
  /** Largest accepted envelope, bytes of JSON (the gateway checks it first). */
  readonly maxEnvelopeBytes: number;
}

/**
 * Stores a batch of send commands in ONE transaction, which is how the send
 * path gets past the single-row commit ceiling:
 *
 * 1. lock the conversations' rows (in id order) — seq assignment serializes here;
 * 2. dedup on (sender, clientMsgId), also within the batch;
 * 3. check membership (a non-member learns nothing: MSG_CONVERSATION_NOT_FOUND);
 * 4. give each new message `last_seq + n`, insert them all, move `last_seq`;
 * 5. raise each sender's delivered/read cursors to their newest message;
 * 6. write the outbox: `message.stored.v1` for stored and duplicate commands
 *    (the duplicate is announced again so a sender who missed its `sent` gets it),
 *    `message.rejected.v1` for refused ones.
 *
 * Returns one outcome per command, in order. Throws (rolling everything back)
 * only when the database fails; the caller then retries the whole batch.
 */
export async function storeMessages(
  store: MessageStore,
  commands: readonly SendCommand[],
  options: SendOptions,
): Promise<SendOutcome[]> {
  const outcomes = new Array<SendOutcome | undefined>(commands.length);
  /** Index of the first command of each (sender, clientMsgId) in the batch. */
  const first = new Map<string, number>();
  const candidates: number[] = [];
  commands.forEach((command, index) => {
    const problem = checkCommand(command, options);
    if (problem) {
      outcomes[index] = problem;
      return;
    }
    const key = clientKey(command);
    if (first.has(key)) return;
    first.set(key, index);
    candidates.push(index);
  });

  return store.transaction(async (repos) => {
    const decided = new Map<number, SendOutcome>();
    const pending = candidates.map((index) => ({ index, command: commands[index] as SendCommand }));

    const conversationIds = [...new Set(pending.map((p) => p.command.conversationId))];
    const locked = await repos.conversations.lock(conversationIds);
    const lastSeq = new Map(locked.map((c) => [c.id, c.lastSeq]));
    const lastSeqBefore = new Map(lastSeq);

    const existing = await repos.messages.findByClientIds(
      pending.map((p) => ({ senderId: p.command.senderId, clientMsgId: p.command.clientMsgId })),
    );
    const existingByKey = new Map(existing.map((m) => [clientKey(m), m]));
    const fresh = pending.filter((p) => !existingByKey.has(clientKey(p.command)));
    const memberships = await repos.members.findMany(
      fresh.map((p) => ({ conversationId: p.command.conversationId, userId: p.command.senderId })),
    );
    const isMember = new Set(memberships.map((m) => `${m.conversationId}:${m.userId}`));

    const createdAt = new Date();
    const inserted: MessageRow[] = [];
    for (const { index, command } of pending) {
      const found = existingByKey.get(clientKey(command));
      if (found) {
        decided.set(
          index,
          found.conversationId === command.conversationId
            ? { status: 'duplicate', message: toStoredMessage(found) }
            : rejected('MSG_DUPLICATE'),
        );
        continue;
      }
      const previous = lastSeq.get(command.conversationId);
      if (previous === undefined || !isMember.has(`${command.conversationId}:${command.senderId}`)) {
        decided.set(index, rejected('MSG_CONVERSATION_NOT_FOUND'));
        continue;
      }
      const row: MessageRow = {
        id: uuidv7(createdAt.getTime()),
        conversationId: command.conversationId,
        seq: previous + 1,
        senderId: command.senderId,
        senderDeviceId: command.senderDeviceId,
        clientMsgId: command.clientMsgId,
        envelope: command.envelope,
        createdAt,
      };
      lastSeq.set(command.conversationId, row.seq);
      inserted.push(row);
      decided.set(index, { status: 'stored', message: toStoredMessage(row) });
    }

    if (inserted.length > 0) {
      await repos.messages.insertMany(inserted);
      const moved = [...new Set(inserted.map((m) => m.conversationId))];
      await repos.conversations.advanceLastSeq(moved.map((id) => ({ id, lastSeq: lastSeq.get(id) ?? 0 })));
      // The sender has their own message: their member cursors move to it (not their device
      // cursor, which says "everything up to here, contiguously" and only the device can say that).
      const newestBySender = new Map<string, { conversationId: string; userId: string; seq: number }>();
      for (const m of inserted) {
        newestBySender.set(`${m.conversationId}:${m.senderId}`, {
          conversationId: m.conversationId,
          userId: m.senderId,
          seq: m.seq,
        });
      }
      // Announced only when it tells the others something: that the sender has now read a
      // message of theirs. Each message the sender stored raised their read cursor to it, so
      // whatever lay between that cursor and the end of the log before this batch is someone
      // else's; so is another sender's message earlier in this batch. A monologue announces
      // nothing (it would double the fan-out of every message for no news).
      const readBefore = new Map(memberships.map((m) => [`${m.conversationId}:${m.userId}`, m.readSeq]));
      const passesOthers = (conversationId: string, userId: string, seq: number) =>
        (readBefore.get(`${conversationId}:${userId}`) ?? 0) < (lastSeqBefore.get(conversationId) ?? 0) ||
        inserted.some((m) => m.conversationId === conversationId && m.senderId !== userId && m.seq < seq);
      await advanceMemberCursors(
        repos,
        [...newestBySender.values()].map((s) => ({ ...s, deliveredSeq: s.seq, readSeq: s.seq })),
        (moved) => passesOthers(moved.conversationId, moved.userId, moved.readSeq),
      );
    }

    const result = commands.map((command, index) => {
      const outcome =
        outcomes[index] ?? decided.get(index) ?? decided.get(first.get(clientKey(command)) ?? -1);
      if (!outcome) throw new Error(`no outcome for command ${index}`);
      // A repeat of a command stored earlier in this same batch is a duplicate of it.
      return outcome.status === 'stored' && first.get(clientKey(command)) !== index
        ? { status: 'duplicate' as const, message: outcome.message }
        : outcome;
    });
    await repos.outbox.enqueue(
      result.map((outcome, index) => outboxEvent(outcome, commands[index] as SendCommand)),
    );
    return result;
  });
}

function checkCommand(command: SendCommand, options: SendOptions): SendOutcome | undefined {
  const { envelope } = command;
  if (
    envelope.conversationId !== command.conversationId ||
    envelope.senderId !== command.senderId ||
    envelope.clientMsgId !== command.clientMsgId
  ) {
    return rejected('VALIDATION_FAILED', 'The envelope header does not match the command');
  }
  if (Buffer.byteLength(JSON.stringify(envelope)) > options.maxEnvelopeBytes) {
    return rejected('MSG_ENVELOPE_TOO_LARGE');
  }
  return undefined;
}

function outboxEvent(outcome: SendOutcome, command: SendCommand): NewOutboxEvent {
  if (outcome.status === 'rejected') {
    return {
      eventId: uuidv7(),
      name: 'message.rejected.v1',
      payload: {
        clientMsgId: command.clientMsgId,
        conversationId: command.conversationId,
        senderId: command.senderId,
        senderDeviceId: command.senderDeviceId,
        code: outcome.code,
        message: outcome.reason,
      } satisfies MessagePayload<'message.rejected.v1'>,
    };
  }
  return { eventId: uuidv7(), name: 'message.stored.v1', messageId: outcome.message.id };
}

function rejected(code: ErrorCode, reason: string = ErrorCatalog[code].message): SendOutcome {
  return { status: 'rejected', code, reason };
}

function clientKey(m: { senderId: string; clientMsgId: string }): string {
  return `${m.senderId}:${m.clientMsgId}`;
}
