import { toMessage } from './mappers.js';
import type { HistoryRange, MessageRepository, PendingPosition } from './messages.js';
import type { Db } from './prisma-db.js';
import type { MessageRow } from './types.js';

/** The columns of `messages m` as a MessageRow (for raw queries). */
const MESSAGE_COLUMNS = `m.id, m.conversation_id AS "conversationId", m.seq, m.sender_id AS "senderId",
  m.sender_device_id AS "senderDeviceId", m.client_msg_id AS "clientMsgId", m.envelope, m.created_at AS "createdAt"`;

/** Smallest possible keyset position: before every conversation id. */
const START: PendingPosition = { conversationId: '00000000-0000-0000-0000-000000000000', seq: 0 };

export class PrismaMessageRepository implements MessageRepository {
  constructor(private readonly db: Db) {}

  async findByClientIds(
    keys: ReadonlyArray<{ senderId: string; clientMsgId: string }>,
  ): Promise<MessageRow[]> {
    if (keys.length === 0) return [];
    return this.db.$queryRawUnsafe<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS}
       FROM messages m
       JOIN unnest($1::uuid[], $2::uuid[]) AS k(sender_id, client_msg_id)
         ON m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id`,
      keys.map((k) => k.senderId),
      keys.map((k) => k.clientMsgId),
    );
  }

  async insertMany(messages: readonly MessageRow[]): Promise<void> {
    if (messages.length === 0) return;
    // One INSERT of unnested arrays: Prisma's createMany costs far more per row with JSON columns.
    await this.db.$executeRawUnsafe(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, sender_device_id, client_msg_id, envelope, created_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::uuid[], $6::uuid[], $7::jsonb[],
                            $8::timestamptz[])`,
      messages.map((m) => m.id),
      messages.map((m) => m.conversationId),
      messages.map((m) => m.seq),
      messages.map((m) => m.senderId),
      messages.map((m) => m.senderDeviceId),
      messages.map((m) => m.clientMsgId),
      messages.map((m) => JSON.stringify(m.envelope)),
      messages.map((m) => m.createdAt.toISOString()),
    );
  }

  async getMany(ids: readonly string[]): Promise<MessageRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.message.findMany({ where: { id: { in: [...ids] } } });
    return rows.map(toMessage);
  }

  async history(
    conversationId: string,
    range: HistoryRange,
  ): Promise<{ messages: MessageRow[]; hasMore: boolean }> {
    if (range.afterSeq !== undefined) {
      const rows = await this.db.message.findMany({
        where: { conversationId, seq: { gt: Math.max(range.afterSeq, range.floorSeq) } },
        orderBy: { seq: 'asc' },
        take: range.limit + 1,
      });
      return { messages: rows.slice(0, range.limit).map(toMessage), hasMore: rows.length > range.limit };
    }
    const rows = await this.db.message.findMany({
      where: {
        conversationId,
        seq: { gt: range.floorSeq, ...(range.beforeSeq === undefined ? {} : { lt: range.beforeSeq }) },
      },
      orderBy: { seq: 'desc' },
      take: range.limit + 1,
    });
    return {
      messages: rows.slice(0, range.limit).reverse().map(toMessage),
      hasMore: rows.length > range.limit,
    };
  }

  async pendingForDevice(
    deviceId: string,
    userId: string,
    after: PendingPosition | null,
    limit: number,
  ): Promise<MessageRow[]> {
    const from = after ?? START;
    // Keys first (small rows to order), then the envelopes of just that page.
    return this.db.$queryRawUnsafe<MessageRow[]>(
      `WITH page AS (
         SELECT m.conversation_id, m.seq
         FROM device_cursors dc
         JOIN members mb ON mb.conversation_id = dc.conversation_id AND mb.user_id = dc.user_id
         JOIN messages m ON m.conversation_id = dc.conversation_id
                        AND m.seq > GREATEST(dc.acked_seq, mb.join_seq)
         WHERE dc.device_id = $1::uuid AND dc.user_id = $2::uuid
           AND (m.conversation_id, m.seq) > ($3::uuid, $4::int)
         ORDER BY m.conversation_id, m.seq
         LIMIT $5
       )
       SELECT ${MESSAGE_COLUMNS}
       FROM page p
       JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq = p.seq
       ORDER BY m.conversation_id, m.seq`,
      deviceId,
      userId,
      from.conversationId,
      from.seq,
      limit,
    );
  }
}
