import type { MessagePayload } from '@im/contracts';
import type { DeviceCursorUpdate } from '../repositories/devices.js';
import type { MemberCursorUpdate } from '../repositories/members.js';
import type { MessageStore, Repositories } from '../repositories/store.js';
import type { MemberRow } from '../repositories/types.js';
import { uuidv7 } from './ids.js';

export type ReceiptCommand = MessagePayload<'receipt.record.v1'>;

export interface ReceiptSummary {
  /** (conversation, user) pairs whose receipts were refused: the user is not a member. */
  readonly ignored: number;
  /** Members whose delivered/read cursors moved (one `receipt.updated.v1` each). */
  readonly membersMoved: number;
}

/**
 * Applies a batch of receipts in one transaction, coalesced: whatever the
 * number of acks, each device cursor and each member cursor is written at most
 * once (to the highest seq in the batch). Cursors only move forward and never
 * past the conversation's last seq. `delivered` moves the device's cursor (its
 * offline queue) and the member's delivered cursor; `read` moves the member's
 * read cursor (and delivered with it: read implies delivered). Each member
 * whose cursors moved yields one `receipt.updated.v1` through the outbox.
 */
export async function recordReceipts(
  store: MessageStore,
  receipts: readonly ReceiptCommand[],
): Promise<ReceiptSummary> {
  const devices = new Map<string, DeviceCursorUpdate>();
  const members = new Map<
    string,
    { conversationId: string; userId: string; delivered: number; read: number }
  >();
  for (const r of receipts) {
    const memberKey = `${r.conversationId}:${r.userId}`;
    const member = members.get(memberKey) ?? {
      conversationId: r.conversationId,
      userId: r.userId,
      delivered: 0,
      read: 0,
    };
    if (r.kind === 'delivered') {
      member.delivered = Math.max(member.delivered, r.seq);
      const deviceKey = `${r.deviceId}:${r.conversationId}`;
      const known = devices.get(deviceKey);
      if (!known || known.ackedSeq < r.seq) {
        devices.set(deviceKey, {
          deviceId: r.deviceId,
          conversationId: r.conversationId,
          userId: r.userId,
          ackedSeq: r.seq,
        });
      }
    } else {
      member.read = Math.max(member.read, r.seq);
    }
    members.set(memberKey, member);
  }

  return store.transaction(async (repos) => {
    const candidates = [...members.values()];
    const [found, conversations] = await Promise.all([
      repos.members.findMany(candidates),
      repos.conversations.getMany([...new Set(candidates.map((m) => m.conversationId))]),
    ]);
    const isMember = new Set(found.map((m) => `${m.conversationId}:${m.userId}`));
    const lastSeq = new Map(conversations.map((c) => [c.id, c.lastSeq]));
    const clamp = (conversationId: string, seq: number) => Math.min(seq, lastSeq.get(conversationId) ?? 0);

    const memberUpdates: MemberCursorUpdate[] = candidates
      .filter((m) => isMember.has(`${m.conversationId}:${m.userId}`))
      .map((m) => ({
        conversationId: m.conversationId,
        userId: m.userId,
        deliveredSeq: clamp(m.conversationId, m.delivered),
        readSeq: clamp(m.conversationId, m.read),
      }));
    const deviceUpdates = [...devices.values()]
      .filter((d) => isMember.has(`${d.conversationId}:${d.userId}`))
      .map((d) => ({ ...d, ackedSeq: clamp(d.conversationId, d.ackedSeq) }));

    await repos.devices.advanceCursors(deviceUpdates);
    const moved = await advanceMemberCursors(repos, memberUpdates);
    return { ignored: candidates.length - memberUpdates.length, membersMoved: moved };
  });
}

/**
 * Moves member cursors forward and announces each member whose cursors moved
 * (and `announce` accepts) with one `receipt.updated.v1` (through the outbox,
 * in the caller's transaction). Returns how many moved. Every cursor move goes
 * through here: a sender's own cursors, moved by storing their message, tell
 * the others that the sender has read everything of theirs before it (the
 * send path announces only moves that pass someone else's message).
 */
export async function advanceMemberCursors(
  repos: Pick<Repositories, 'members' | 'outbox'>,
  updates: readonly MemberCursorUpdate[],
  /** Which moves to announce (default all). */
  announce: (moved: MemberRow) => boolean = () => true,
): Promise<number> {
  const moved = await repos.members.advanceCursors(updates);
  const announced = moved.filter(announce);
  if (announced.length === 0) return moved.length;
  const everyone = await repos.members.listMany([...new Set(announced.map((m) => m.conversationId))]);
  await repos.outbox.enqueue(
    announced.map((m) => ({
      eventId: uuidv7(),
      name: 'receipt.updated.v1',
      payload: {
        conversationId: m.conversationId,
        userId: m.userId,
        deliveredSeq: m.deliveredSeq,
        readSeq: m.readSeq,
        memberIds: everyone.filter((e) => e.conversationId === m.conversationId).map((e) => e.userId),
      } satisfies MessagePayload<'receipt.updated.v1'>,
    })),
  );
  return moved.length;
}
