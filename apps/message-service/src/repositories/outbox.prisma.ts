import type { MessageName } from '@im/contracts';
import type { Prisma } from '../generated/prisma/client.js';
import type { NewOutboxEvent, OutboxRepository, OutboxRow } from './outbox.js';
import type { Db } from './prisma-db.js';

export class PrismaOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Db) {}

  async enqueue(events: readonly NewOutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.outboxEvent.createMany({
      data: events.map((e) => ({
        eventId: e.eventId,
        name: e.name,
        messageId: e.messageId ?? null,
        ...(e.payload === undefined ? {} : { payload: e.payload as Prisma.InputJsonValue }),
      })),
    });
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
    await this.db.outboxEvent.deleteMany({ where: { id: { in: [...ids] } } });
  }

  count(): Promise<number> {
    return this.db.outboxEvent.count();
  }
}
