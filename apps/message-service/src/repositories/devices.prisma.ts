import type { DeviceCursorUpdate, DeviceRepository, DeviceRow } from './devices.js';
import { compareIds, type Db } from './prisma-db.js';

export class PrismaDeviceRepository implements DeviceRepository {
  constructor(private readonly db: Db) {}

  async find(deviceId: string): Promise<DeviceRow | null> {
    return this.db.device.findUnique({ where: { id: deviceId } });
  }

  async register(deviceId: string, userId: string): Promise<boolean> {
    const { count } = await this.db.device.createMany({
      data: [{ id: deviceId, userId }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  async createCursorsAtLastSeq(deviceId: string, userId: string): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO device_cursors (device_id, conversation_id, user_id, acked_seq)
      SELECT ${deviceId}::uuid, mb.conversation_id, mb.user_id, c.last_seq
      FROM members mb
      JOIN conversations c ON c.id = mb.conversation_id
      WHERE mb.user_id = ${userId}::uuid
      ON CONFLICT (device_id, conversation_id) DO NOTHING`;
  }

  async createMissingCursors(deviceId: string, userId: string): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO device_cursors (device_id, conversation_id, user_id, acked_seq)
      SELECT ${deviceId}::uuid, mb.conversation_id, mb.user_id, mb.join_seq
      FROM members mb
      WHERE mb.user_id = ${userId}::uuid
      ON CONFLICT (device_id, conversation_id) DO NOTHING`;
  }

  async skipPurged(deviceId: string): Promise<number> {
    return this.db.$executeRaw`
      UPDATE device_cursors AS dc
      SET acked_seq = c.purged_through_seq, updated_at = now()
      FROM conversations c, members mb
      WHERE dc.device_id = ${deviceId}::uuid
        AND c.id = dc.conversation_id
        AND mb.conversation_id = dc.conversation_id AND mb.user_id = dc.user_id
        AND GREATEST(dc.acked_seq, mb.join_seq) < c.purged_through_seq`;
  }

  async advanceCursors(updates: readonly DeviceCursorUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    // One lock order for every batch keeps concurrent batches from deadlocking.
    const sorted = [...updates].sort(
      (a, b) => compareIds(a.deviceId, b.deviceId) || compareIds(a.conversationId, b.conversationId),
    );
    await this.db.$executeRaw`
      INSERT INTO device_cursors (device_id, conversation_id, user_id, acked_seq, updated_at)
      SELECT v.device_id, v.conversation_id, v.user_id, v.acked_seq, now()
      FROM unnest(${sorted.map((u) => u.deviceId)}::uuid[], ${sorted.map((u) => u.conversationId)}::uuid[],
                  ${sorted.map((u) => u.userId)}::uuid[], ${sorted.map((u) => u.ackedSeq)}::int[])
        AS v(device_id, conversation_id, user_id, acked_seq)
      JOIN devices d ON d.id = v.device_id AND d.user_id = v.user_id
      ON CONFLICT (device_id, conversation_id) DO UPDATE
        SET acked_seq = GREATEST(device_cursors.acked_seq, EXCLUDED.acked_seq), updated_at = now()
        WHERE device_cursors.acked_seq < EXCLUDED.acked_seq`;
  }

  async cursors(deviceId: string): Promise<Array<{ conversationId: string; ackedSeq: number }>> {
    return this.db.deviceCursor.findMany({
      where: { deviceId },
      select: { conversationId: true, ackedSeq: true },
      orderBy: { conversationId: 'asc' },
    });
  }
}
