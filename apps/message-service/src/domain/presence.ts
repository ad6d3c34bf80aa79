import { DeliveryKeys, type MessagePayload } from '@im/contracts';
import type { Logger } from '@im/logger';
import type { UserPresenceRow } from '../repositories/presence.js';
import type { MessageStore } from '../repositories/store.js';
import type { EventPublisher } from './ports.js';

export type PresenceEvent = MessagePayload<'presence.changed.v1'>;

/** Gateways refresh their devices every 30 s; three missed refreshes and a device is offline. */
export const DEFAULT_PRESENCE_EXPIRY_MS = 90_000;

export interface PresenceEntry {
  readonly userId: string;
  readonly status: 'online' | 'offline';
  readonly lastSeenAt: string | null;
}

export interface PresenceTrackerOptions {
  readonly store: MessageStore;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  /** A device not refreshed for this long counts as offline (gateways refresh every 30 s). Default 90 s. */
  readonly expiryMs?: number;
  readonly now?: () => Date;
}

/**
 * Device presence → user presence. Gateways report each device online/offline
 * and refresh online devices periodically; a device whose gateway stopped
 * refreshing (killed) expires. A user is online while any device is. When that
 * flips, the user's contacts (everyone sharing a conversation) get a
 * `presence` frame; nobody else does. Frames are ephemeral: one lost to a
 * broker fault is not resent (the next flip or a presence query corrects it).
 */
export class PresenceTracker {
  readonly #store: MessageStore;
  readonly #publisher: EventPublisher;
  readonly #logger: Logger;
  readonly #expiryMs: number;
  readonly #now: () => Date;

  constructor(options: PresenceTrackerOptions) {
    this.#store = options.store;
    this.#publisher = options.publisher;
    this.#logger = options.logger;
    this.#expiryMs = options.expiryMs ?? DEFAULT_PRESENCE_EXPIRY_MS;
    this.#now = options.now ?? (() => new Date());
  }

  /** Applies a batch of device events (in any order: the newest event per device wins). */
  async apply(events: readonly PresenceEvent[]): Promise<UserPresenceRow[]> {
    const repos = this.#store.repos;
    const toDevice = (e: PresenceEvent) => ({
      deviceId: e.deviceId,
      userId: e.userId,
      gatewayId: e.gatewayId,
      at: new Date(e.at),
    });
    await repos.presence.markOnline(events.filter((e) => e.status === 'online').map(toDevice));
    await repos.presence.markOffline(events.filter((e) => e.status === 'offline').map(toDevice));
    const flips = await repos.presence.settle(
      events.map((e) => ({ userId: e.userId, seenAt: new Date(e.at) })),
      this.#liveSince(),
    );
    await this.#announce(flips);
    return flips;
  }

  /** Expires devices whose gateway stopped refreshing them; announces the users who went offline. */
  async expire(): Promise<UserPresenceRow[]> {
    const repos = this.#store.repos;
    const expired = await repos.presence.expire(this.#liveSince());
    if (expired.length === 0) return [];
    const flips = await repos.presence.settle(
      expired.map((e) => ({ userId: e.userId, seenAt: e.refreshedAt })),
      this.#liveSince(),
    );
    await this.#announce(flips);
    return flips;
  }

  #liveSince(): Date {
    return new Date(this.#now().getTime() - this.#expiryMs);
  }

  async #announce(flips: readonly UserPresenceRow[]): Promise<void> {
    for (const flip of flips) {
      const contacts = await this.#store.repos.members.contactsOf(flip.userId);
      const frame = {
        type: 'presence' as const,
        userId: flip.userId,
        status: flip.online ? ('online' as const) : ('offline' as const),
        lastSeenAt: flip.lastSeenAt ? flip.lastSeenAt.toISOString() : null,
      };
      const results = await Promise.allSettled(
        contacts.map((contact) =>
          this.#publisher.publish('delivery.frame.v1', { frame }, { routingKey: DeliveryKeys.user(contact) }),
        ),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      if (failed.length > 0) {
        this.#logger.warn(
          { userId: flip.userId, failed: failed.length, of: contacts.length, err: failed[0]?.reason },
          'some presence frames were not published (ephemeral; not retried)',
        );
      }
    }
  }
}

export interface PresenceQuery {
  readonly store: MessageStore;
  /** The caller. */
  readonly me: string;
  readonly userIds: readonly string[];
  /** A device not refreshed for this long counts as offline. */
  readonly expiryMs: number;
  readonly now?: Date;
}

/**
 * Presence of the requested users that the caller may see: themselves and
 * their contacts (users sharing a conversation). Others are left out.
 */
export async function queryPresence(query: PresenceQuery): Promise<PresenceEntry[]> {
  const repos = query.store.repos;
  const requested = [...new Set(query.userIds)];
  const visible = new Set(await repos.members.filterContacts(query.me, requested));
  if (requested.includes(query.me)) visible.add(query.me);
  const liveSince = new Date((query.now ?? new Date()).getTime() - query.expiryMs);
  const rows = await repos.presence.get([...visible], liveSince);
  const byUser = new Map(rows.map((r) => [r.userId, r]));
  return requested
    .filter((id) => visible.has(id))
    .map((userId) => {
      const row = byUser.get(userId);
      return {
        userId,
        status: row?.online ? 'online' : 'offline',
        lastSeenAt: row?.lastSeenAt ? row.lastSeenAt.toISOString() : null,
      };
    });
}
