export interface DeviceRow {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
}

export interface DeviceCursorUpdate {
  readonly deviceId: string;
  readonly conversationId: string;
  readonly userId: string;
  /** Raised to at least this (never lowered). */
  readonly ackedSeq: number;
}

export interface DeviceRepository {
  find(deviceId: string): Promise<DeviceRow | null>;
  /** Registers a device. Resolves false when it was registered already (by a concurrent call). */
  register(deviceId: string, userId: string): Promise<boolean>;
  /** A new device starts at the present: one cursor per membership at the conversation's last seq. */
  createCursorsAtLastSeq(deviceId: string, userId: string): Promise<void>;
  /** Conversations joined since the device's cursors were made start at the member's join seq. */
  createMissingCursors(deviceId: string, userId: string): Promise<void>;
  /**
   * Moves the device's cursors that point before the retention horizon up to
   * it. Returns how many moved (> 0: the device missed messages for good).
   */
  skipPurged(deviceId: string): Promise<number>;
  /**
   * Raises cursors of known devices (of the given user). Acks of a device never
   * registered are ignored: it gets its cursors on its first sync.
   */
  advanceCursors(updates: readonly DeviceCursorUpdate[]): Promise<void>;
  cursors(deviceId: string): Promise<Array<{ conversationId: string; ackedSeq: number }>>;
}
