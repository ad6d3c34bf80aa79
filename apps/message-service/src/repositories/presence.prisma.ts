import type { DevicePresenceEvent, PresenceRepository, UserPresenceRow } from './presence.js';
import type { Db } from './prisma-db.js';

export class PrismaPresenceRepository implements PresenceRepository {
  constructor(private readonly db: Db) {}

  async markOnline(events: readonly DevicePresenceEvent[]): Promise<void> {
    if (events.length === 0) return;
    const latest = latestPerDevice(events);
    await this.db.$executeRaw`
      INSERT INTO device_presence (device_id, user_id, gateway_id, last_event_at, refreshed_at)
      SELECT v.device_id, v.user_id, v.gateway_id, v.at, now()
      FROM unnest(${latest.map((e) => e.deviceId)}::uuid[], ${latest.map((e) => e.userId)}::uuid[],
                  ${latest.map((e) => e.gatewayId)}::text[], ${latest.map((e) => e.at)}::timestamptz[])
        AS v(device_id, user_id, gateway_id, at)
      ON CONFLICT (device_id) DO UPDATE
        SET user_id = EXCLUDED.user_id, gateway_id = EXCLUDED.gateway_id,
            last_event_at = EXCLUDED.last_event_at, refreshed_at = now()
        WHERE device_presence.last_event_at <= EXCLUDED.last_event_at`;
  }

  async markOffline(events: readonly DevicePresenceEvent[]): Promise<void> {
    if (events.length === 0) return;
    const latest = latestPerDevice(events);
    await this.db.$executeRaw`
      DELETE FROM device_presence AS d
      USING unnest(${latest.map((e) => e.deviceId)}::uuid[], ${latest.map((e) => e.gatewayId)}::text[],
                   ${latest.map((e) => e.at)}::timestamptz[]) AS v(device_id, gateway_id, at)
      WHERE d.device_id = v.device_id AND d.gateway_id = v.gateway_id AND d.last_event_at <= v.at`;
  }

  async expire(cutoff: Date): Promise<Array<{ userId: string; refreshedAt: Date }>> {
    return this.db.$queryRaw<Array<{ userId: string; refreshedAt: Date }>>`
      DELETE FROM device_presence
      WHERE refreshed_at < ${cutoff}
      RETURNING user_id AS "userId", refreshed_at AS "refreshedAt"`;
  }

  async settle(
    users: ReadonlyArray<{ userId: string; seenAt: Date }>,
    liveSince: Date,
  ): Promise<UserPresenceRow[]> {
    if (users.length === 0) return [];
    const byUser = new Map<string, Date>();
    for (const u of users) {
      const known = byUser.get(u.userId);
      if (!known || known < u.seenAt) byUser.set(u.userId, u.seenAt);
    }
    // The conditional upsert is the claim: of concurrent settlers, only the one whose
    // write flips `online` gets the row back, so each transition is published once.
    return this.db.$queryRaw<UserPresenceRow[]>`
      WITH input AS (
        SELECT v.user_id, v.seen_at,
               EXISTS (SELECT 1 FROM device_presence d
                       WHERE d.user_id = v.user_id AND d.refreshed_at >= ${liveSince}) AS online
        FROM unnest(${[...byUser.keys()]}::uuid[], ${[...byUser.values()]}::timestamptz[]) AS v(user_id, seen_at)
      )
      INSERT INTO user_presence (user_id, online, last_seen_at, changed_at)
      SELECT user_id, online, seen_at, now() FROM input
      ON CONFLICT (user_id) DO UPDATE
        SET online = EXCLUDED.online, last_seen_at = EXCLUDED.last_seen_at, changed_at = now()
        WHERE user_presence.online IS DISTINCT FROM EXCLUDED.online
      RETURNING user_id AS "userId", online, last_seen_at AS "lastSeenAt"`;
  }

  async get(userIds: readonly string[], liveSince: Date): Promise<UserPresenceRow[]> {
    if (userIds.length === 0) return [];
    return this.db.$queryRaw<UserPresenceRow[]>`
      WITH live AS (
        SELECT user_id, max(refreshed_at) AS refreshed_at
        FROM device_presence
        WHERE user_id = ANY(${[...userIds]}::uuid[]) AND refreshed_at >= ${liveSince}
        GROUP BY user_id
      )
      SELECT COALESCE(live.user_id, up.user_id) AS "userId",
             live.user_id IS NOT NULL AS online,
             COALESCE(live.refreshed_at, up.last_seen_at) AS "lastSeenAt"
      FROM live
      FULL JOIN (SELECT * FROM user_presence WHERE user_id = ANY(${[...userIds]}::uuid[])) AS up
        ON up.user_id = live.user_id
      ORDER BY 1`;
  }
}

/** One event per device, the newest: a batch may carry several for one device. */
function latestPerDevice(events: readonly DevicePresenceEvent[]): DevicePresenceEvent[] {
  const byDevice = new Map<string, DevicePresenceEvent>();
  for (const event of events) {
    const known = byDevice.get(event.deviceId);
    if (!known || known.at <= event.at) byDevice.set(event.deviceId, event);
  }
  return [...byDevice.values()];
}
