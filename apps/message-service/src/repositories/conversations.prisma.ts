import type { Conversation as ConversationModel } from '../generated/prisma/client.js';
import type { ConversationRepository, ConversationView, NewConversation } from './conversations.js';
import { toMember, toMessage } from './mappers.js';
import type { Db } from './prisma-db.js';
import type { ConversationKind, ConversationRow } from './types.js';

interface ViewRow {
  id: string;
  kind: ConversationKind;
  title: string | null;
  createdBy: string;
  createdAt: Date;
  lastSeq: number;
  purgedThroughSeq: number;
  unreadCount: number;
}

export class PrismaConversationRepository implements ConversationRepository {
  constructor(private readonly db: Db) {}

  async create(conversation: NewConversation): Promise<void> {
    await this.db.conversation.create({
      data: {
        id: conversation.id,
        kind: conversation.kind,
        title: conversation.title,
        directKey: conversation.directKey,
        createdBy: conversation.createdBy,
        members: {
          create: conversation.members.map((m) => ({ userId: m.userId, role: m.role, joinSeq: 0 })),
        },
      },
    });
  }

  async get(id: string): Promise<ConversationRow | null> {
    const row = await this.db.conversation.findUnique({ where: { id } });
    return row ? toConversation(row) : null;
  }

  async getMany(ids: readonly string[]): Promise<ConversationRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.conversation.findMany({ where: { id: { in: [...ids] } } });
    return rows.map(toConversation);
  }

  async findDirect(directKey: string): Promise<ConversationRow | null> {
    const row = await this.db.conversation.findUnique({ where: { directKey } });
    return row ? toConversation(row) : null;
  }

  async lock(ids: readonly string[]): Promise<ConversationRow[]> {
    if (ids.length === 0) return [];
    return this.db.$queryRaw<ConversationRow[]>`
      SELECT id, kind::text AS kind, title, created_by AS "createdBy", created_at AS "createdAt",
             last_seq AS "lastSeq", purged_through_seq AS "purgedThroughSeq"
      FROM conversations
      WHERE id = ANY(${[...ids]}::uuid[])
      ORDER BY id
      FOR UPDATE`;
  }

  async setTitle(id: string, title: string): Promise<void> {
    await this.db.conversation.update({ where: { id }, data: { title, lastActivityAt: new Date() } });
  }

  async touch(id: string): Promise<void> {
    await this.db.conversation.update({ where: { id }, data: { lastActivityAt: new Date() } });
  }

  async advanceLastSeq(updates: ReadonlyArray<{ id: string; lastSeq: number }>): Promise<void> {
    if (updates.length === 0) return;
    await this.db.$executeRaw`
      UPDATE conversations AS c
      SET last_seq = v.last_seq, last_activity_at = now()
      FROM unnest(${updates.map((u) => u.id)}::uuid[], ${updates.map((u) => u.lastSeq)}::int[]) AS v(id, last_seq)
      WHERE c.id = v.id`;
  }

  async listForMember(userId: string): Promise<ConversationView[]> {
    const rows = await this.db.$queryRaw<ViewRow[]>`
      SELECT c.id, c.kind::text AS kind, c.title, c.created_by AS "createdBy", c.created_at AS "createdAt",
             c.last_seq AS "lastSeq", c.purged_through_seq AS "purgedThroughSeq",
             (SELECT count(*)::int FROM messages m
              WHERE m.conversation_id = c.id
                AND m.seq > GREATEST(me.read_seq, me.join_seq, c.purged_through_seq)
                AND m.sender_id <> me.user_id) AS "unreadCount"
      FROM members me
      JOIN conversations c ON c.id = me.conversation_id
      WHERE me.user_id = ${userId}::uuid
      ORDER BY c.last_activity_at DESC, c.id`;
    return this.#views(rows, userId);
  }

  async viewForMember(id: string, userId: string): Promise<ConversationView | null> {
    const rows = await this.db.$queryRaw<ViewRow[]>`
      SELECT c.id, c.kind::text AS kind, c.title, c.created_by AS "createdBy", c.created_at AS "createdAt",
             c.last_seq AS "lastSeq", c.purged_through_seq AS "purgedThroughSeq",
             (SELECT count(*)::int FROM messages m
              WHERE m.conversation_id = c.id
                AND m.seq > GREATEST(me.read_seq, me.join_seq, c.purged_through_seq)
                AND m.sender_id <> me.user_id) AS "unreadCount"
      FROM members me
      JOIN conversations c ON c.id = me.conversation_id
      WHERE me.user_id = ${userId}::uuid AND me.conversation_id = ${id}::uuid`;
    const [view] = await this.#views(rows, userId);
    return view ?? null;
  }

  /** Adds members and each conversation's newest message (if the viewer may see it) to the rows. */
  async #views(rows: ViewRow[], userId: string): Promise<ConversationView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [members, lastMessages] = await Promise.all([
      this.db.member.findMany({
        where: { conversationId: { in: ids } },
        orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
      }),
      this.db.$queryRaw<Array<{ id: string }>>`
        SELECT m.id
        FROM conversations c
        JOIN members me ON me.conversation_id = c.id AND me.user_id = ${userId}::uuid
        JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
        WHERE c.id = ANY(${ids}::uuid[]) AND c.last_seq > me.join_seq`,
    ]);
    const messages =
      lastMessages.length === 0
        ? []
        : await this.db.message.findMany({ where: { id: { in: lastMessages.map((m) => m.id) } } });
    const lastByConversation = new Map(messages.map((m) => [m.conversationId, toMessage(m)]));
    const membersByConversation = new Map<string, ReturnType<typeof toMember>[]>();
    for (const member of members) {
      const list = membersByConversation.get(member.conversationId) ?? [];
      list.push(toMember(member));
      membersByConversation.set(member.conversationId, list);
    }
    return rows.map(({ unreadCount, ...conversation }) => ({
      conversation,
      members: membersByConversation.get(conversation.id) ?? [],
      lastMessage: lastByConversation.get(conversation.id) ?? null,
      unreadCount,
    }));
  }

  async purgeOlderThan(
    cutoff: Date,
    limit: number,
    chunk: number,
  ): Promise<Array<{ conversationId: string; throughSeq: number; deleted: number }>> {
    // Conversations whose oldest remaining message is older than the cutoff, locked
    // (senders to them wait for this short transaction; other sweepers skip them).
    const candidates = await this.db.$queryRaw<Array<{ id: string; purged: number; lastSeq: number }>>`
      SELECT c.id, c.purged_through_seq AS purged, c.last_seq AS "lastSeq"
      FROM conversations c
      WHERE c.purged_through_seq < c.last_seq
        AND EXISTS (SELECT 1 FROM messages m
                    WHERE m.conversation_id = c.id AND m.seq = c.purged_through_seq + 1
                      AND m.created_at < ${cutoff})
      ORDER BY c.id
      LIMIT ${limit}
      FOR UPDATE OF c SKIP LOCKED`;
    const results: Array<{ conversationId: string; throughSeq: number; deleted: number }> = [];
    for (const c of candidates) {
      const windowEnd = Math.min(c.lastSeq, c.purged + chunk);
      // The horizon is just before the first message not older than the cutoff, so what is
      // deleted is always a prefix of the log (the drain's and history's floor stays exact).
      const [firstNewer] = await this.db.$queryRaw<Array<{ seq: number }>>`
        SELECT seq FROM messages
        WHERE conversation_id = ${c.id}::uuid AND seq > ${c.purged} AND seq <= ${windowEnd}
          AND created_at >= ${cutoff}
        ORDER BY seq
        LIMIT 1`;
      const throughSeq = firstNewer ? firstNewer.seq - 1 : windowEnd;
      if (throughSeq <= c.purged) continue;
      const deleted = await this.db.$executeRaw`
        DELETE FROM messages
        WHERE conversation_id = ${c.id}::uuid AND seq > ${c.purged} AND seq <= ${throughSeq}`;
      await this.db.conversation.update({ where: { id: c.id }, data: { purgedThroughSeq: throughSeq } });
      results.push({ conversationId: c.id, throughSeq, deleted });
    }
    return results;
  }
}

function toConversation(row: ConversationModel): ConversationRow {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    lastSeq: row.lastSeq,
    purgedThroughSeq: row.purgedThroughSeq,
  };
}
