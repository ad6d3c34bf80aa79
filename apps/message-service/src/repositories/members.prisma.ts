import { toMember } from './mappers.js';
import type { MemberCursorUpdate, MemberRepository } from './members.js';
import { compareIds, type Db } from './prisma-db.js';
import type { MemberRole, MemberRow } from './types.js';

/** The columns of `members m` as a MemberRow (for raw queries). */
const MEMBER_COLUMNS = `m.conversation_id AS "conversationId", m.user_id AS "userId", m.role::text AS role,
  m.joined_at AS "joinedAt", m.join_seq AS "joinSeq", m.delivered_seq AS "deliveredSeq", m.read_seq AS "readSeq"`;

export class PrismaMemberRepository implements MemberRepository {
  constructor(private readonly db: Db) {}

  async find(conversationId: string, userId: string): Promise<MemberRow | null> {
    const row = await this.db.member.findUnique({
      where: { conversationId_userId: { conversationId, userId } },
    });
    return row ? toMember(row) : null;
  }

  async list(conversationId: string): Promise<MemberRow[]> {
    const rows = await this.db.member.findMany({
      where: { conversationId },
      orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
    });
    return rows.map(toMember);
  }

  async listMany(conversationIds: readonly string[]): Promise<MemberRow[]> {
    if (conversationIds.length === 0) return [];
    const rows = await this.db.member.findMany({
      where: { conversationId: { in: [...conversationIds] } },
      orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
    });
    return rows.map(toMember);
  }

  async findMany(pairs: ReadonlyArray<{ conversationId: string; userId: string }>): Promise<MemberRow[]> {
    if (pairs.length === 0) return [];
    return this.db.$queryRawUnsafe<MemberRow[]>(
      `SELECT ${MEMBER_COLUMNS}
       FROM members m
       JOIN unnest($1::uuid[], $2::uuid[]) AS p(conversation_id, user_id)
         ON m.conversation_id = p.conversation_id AND m.user_id = p.user_id`,
      pairs.map((p) => p.conversationId),
      pairs.map((p) => p.userId),
    );
  }

  count(conversationId: string): Promise<number> {
    return this.db.member.count({ where: { conversationId } });
  }

  async add(
    conversationId: string,
    members: ReadonlyArray<{ userId: string; role: MemberRole }>,
    joinSeq: number,
  ): Promise<void> {
    if (members.length === 0) return;
    await this.db.member.createMany({
      data: members.map((m) => ({ conversationId, userId: m.userId, role: m.role, joinSeq })),
    });
  }

  async remove(conversationId: string, userId: string): Promise<boolean> {
    await this.db.deviceCursor.deleteMany({ where: { conversationId, userId } });
    const { count } = await this.db.member.deleteMany({ where: { conversationId, userId } });
    return count > 0;
  }

  async setRole(conversationId: string, userId: string, role: MemberRole): Promise<void> {
    await this.db.member.update({
      where: { conversationId_userId: { conversationId, userId } },
      data: { role },
    });
  }

  async advanceCursors(updates: readonly MemberCursorUpdate[]): Promise<MemberRow[]> {
    if (updates.length === 0) return [];
    // One lock order for every batch keeps concurrent batches from deadlocking.
    const sorted = [...updates].sort(
      (a, b) => compareIds(a.conversationId, b.conversationId) || compareIds(a.userId, b.userId),
    );
    return this.db.$queryRawUnsafe<MemberRow[]>(
      `UPDATE members AS m
       SET delivered_seq = GREATEST(m.delivered_seq, v.delivered_seq, v.read_seq),
           read_seq = GREATEST(m.read_seq, v.read_seq)
       FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[])
         AS v(conversation_id, user_id, delivered_seq, read_seq)
       WHERE m.conversation_id = v.conversation_id AND m.user_id = v.user_id
         AND (m.delivered_seq < GREATEST(v.delivered_seq, v.read_seq) OR m.read_seq < v.read_seq)
       RETURNING ${MEMBER_COLUMNS}`,
      sorted.map((u) => u.conversationId),
      sorted.map((u) => u.userId),
      sorted.map((u) => u.deliveredSeq),
      sorted.map((u) => u.readSeq),
    );
  }

  async contactsOf(userId: string): Promise<string[]> {
    const rows = await this.db.$queryRaw<Array<{ userId: string }>>`
      SELECT DISTINCT other.user_id AS "userId"
      FROM members me
      JOIN members other ON other.conversation_id = me.conversation_id
      WHERE me.user_id = ${userId}::uuid AND other.user_id <> ${userId}::uuid
      ORDER BY 1`;
    return rows.map((r) => r.userId);
  }

  async filterContacts(userId: string, others: readonly string[]): Promise<string[]> {
    if (others.length === 0) return [];
    const rows = await this.db.$queryRaw<Array<{ userId: string }>>`
      SELECT DISTINCT other.user_id AS "userId"
      FROM members me
      JOIN members other ON other.conversation_id = me.conversation_id
      WHERE me.user_id = ${userId}::uuid AND other.user_id <> ${userId}::uuid
        AND other.user_id = ANY(${[...others]}::uuid[])
      ORDER BY 1`;
    return rows.map((r) => r.userId);
  }
}
