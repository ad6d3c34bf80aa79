export interface DevicePresenceEvent {
  readonly deviceId: string;
  readonly userId: string;
  readonly gatewayId: string;
  /** The gateway's time of the event: a later event for the device wins. */
  readonly at: Date;
}

export interface UserPresenceRow {
  readonly userId: string;
  readonly online: boolean;
  /** When the user was last online (for an online user: their newest refresh); null if never seen. */
  readonly lastSeenAt: Date | null;
}

export interface PresenceRepository {
  /** Records devices as connected (refreshes them), unless a newer event for the device was applied. */
  markOnline(events: readonly DevicePresenceEvent[]): Promise<void>;
  /** Removes devices, unless they have moved to another gateway or a newer event was applied. */
  markOffline(events: readonly DevicePresenceEvent[]): Promise<void>;
  /** Removes devices not refreshed since `cutoff`; returns whose they were and when they were last refreshed. */
  expire(cutoff: Date): Promise<Array<{ userId: string; refreshedAt: Date }>>;
  /**
   * Derives each user's presence from their live devices (refreshed after
   * `liveSince`) and stores it; returns only users whose online state flipped.
   * A flip is claimed by exactly one caller, so N service copies publish it once.
   */
  settle(users: ReadonlyArray<{ userId: string; seenAt: Date }>, liveSince: Date): Promise<UserPresenceRow[]>;
  /** Current presence of these users (users never seen are left out). */
  get(userIds: readonly string[], liveSince: Date): Promise<UserPresenceRow[]>;
}
