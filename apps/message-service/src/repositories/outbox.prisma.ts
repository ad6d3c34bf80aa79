import type { MessageName } from '@im/contracts';
import type { NewOutboxEvent, OutboxRepository, OutboxRow } from './outbox.js';
import type { Db } from './prisma-db.js';

export class PrismaOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Db) {}

  async enqueue(events: readonly NewOutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.$executeRawUnsafe(
      `INSERT INTO outbox (event_id, name, message_id, payload)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::jsonb[])`,
      events.map((e) => e.eventId),
      events.map((e) => e.name),
      events.map((e) => e.messageId ?? null),
      events.map((e) => (e.payload === undefined ? null : JSON.stringify(e.payload))),
    );
  }

  async claim(limit: number): Promise<OutboxRow[]> {
    const rows = await this.db.$queryRaw<
      Array<{
        id: bigint;
        eventId: string;
        name: string;
        messageId: string | null;
        payload: unknown;
        createdAt: Date;
      }>
    >`
      SELECT id, event_id AS "eventId", name, message_id AS "messageId", payload, created_at AS "createdAt"
      FROM outbox
      ORDER BY id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED`;
    return rows.map((r) => ({
      id: r.id,
      eventId: r.eventId,
      // Written only by enqueue(), which takes a MessageName.
      name: r.name as MessageName,
      ...(r.messageId === null ? {} : { messageId: r.messageId }),
      ...(r.payload === null ? {} : { payload: r.payload }),
      createdAt: r.createdAt,
    }));
  }

  async delete(ids: readonly bigint[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.$executeRawUnsafe(
      'DELETE FROM outbox WHERE id = ANY($1::bigint[])',
      ids.map((id) => id.toString()),
    );
  }

  count(): Promise<number> {
    return this.db.outboxEvent.count();
  }
}
