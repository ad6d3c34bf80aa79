import type { MessagePayload } from '@im/contracts';

export type RevokeReason = MessagePayload<'session.revoked.v1'>['reason'];

export interface SessionRecord {
  id: string;
  userId: string;
  deviceName: string;
  createdAt: Date;
  lastUsedAt: Date;
  revokedAt: Date | null;
  revokeReason: RevokeReason | null;
}

export interface RefreshTokenRecord {
  id: string;
  sessionId: string;
  /** Hex SHA-256 of the token; the token itself is never stored. */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  spentAt: Date | null;
}

export interface SessionRepository {
  create(session: SessionRecord): Promise<void>;
  findById(id: string): Promise<SessionRecord | null>;
  /** The user's sessions not revoked, most recently used first. */
  listActive(userId: string): Promise<SessionRecord[]>;
  touch(id: string, at: Date): Promise<void>;
  /** Revokes the session if it is not revoked yet; true when this call revoked it. */
  revoke(id: string, reason: RevokeReason, at: Date): Promise<boolean>;
  /** Revokes every active session of the user except `keep`; returns the ids revoked. */
  revokeAllOfUser(userId: string, reason: RevokeReason, at: Date, keep?: string): Promise<string[]>;

  /**
   * Sessions revoked after (`since`, `afterId`) in (revokedAt, id) order, at
   * most `limit`: keyset pages that never skip sessions revoked in the same millisecond.
   */
  listRevokedSince(
    since: Date,
    afterId: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; revokedAt: Date }>>;

  addRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshTokenByHash(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Marks an unspent token spent. False when it was spent already, including by
   * a concurrent request that got there first: the row lock decides, so of two
   * concurrent refreshes exactly one sees true.
   */
  spendRefreshToken(id: string, at: Date): Promise<boolean>;
  /** Housekeeping: deletes refresh tokens that expired before `cutoff`. */
  deleteRefreshTokensExpiredBefore(cutoff: Date): Promise<number>;
}
