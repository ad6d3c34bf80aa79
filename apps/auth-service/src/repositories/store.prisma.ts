import type { KeyBackup, MessageName, PublicJwk } from '@im/contracts';
import { type Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { KeyBackupRecord, KeyBundleRecord, KeyDirectoryRepository } from './key-directory.js';
import { KeyVersionTakenError } from './key-directory.js';
import type { ClaimedEvent, OutboxEvent, OutboxRepository } from './outbox.js';
import type { RateLimitStore, WindowCounts } from './rate-limits.js';
import type { RefreshTokenRecord, RevokeReason, SessionRecord, SessionRepository } from './sessions.js';
import type { SigningKeyRecord, SigningKeyRepository } from './signing-keys.js';
import type { Repositories, Store } from './store.js';
import type { UserRecord, UserRepository } from './users.js';
import { UsernameTakenError } from './users.js';

/** A client or the client of an open interactive transaction. */
type Db = Prisma.TransactionClient;

const UNIQUE_VIOLATION = 'P2002';
const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === UNIQUE_VIOLATION;

/** Key of the advisory lock under which the first signing key is created. */
const FIRST_KEY_LOCK = 0x61757468; // "auth"

class PrismaUserRepository implements UserRepository {
  constructor(private readonly db: Db) {}

  async create(user: UserRecord): Promise<void> {
    try {
      await this.db.user.create({ data: user });
    } catch (error) {
      if (isUniqueViolation(error)) throw new UsernameTakenError();
      throw error;
    }
  }

  findById(id: string): Promise<UserRecord | null> {
    return this.db.user.findUnique({ where: { id } });
  }

  findByCanonicalUsername(canonical: string): Promise<UserRecord | null> {
    return this.db.user.findUnique({ where: { usernameCanonical: canonical } });
  }

  searchByPrefix(prefix: string, limit: number): Promise<UserRecord[]> {
    return this.db.user.findMany({
      // Prisma passes `startsWith` to LIKE unescaped: `_` and `%` would be wildcards.
      where: { usernameCanonical: { startsWith: prefix.replace(/[\\%_]/g, '\\$&') } },
      orderBy: { usernameCanonical: 'asc' },
      take: limit,
    });
  }

  async updatePasswordHash(id: string, passwordHash: string, changedAt: Date | null): Promise<void> {
    await this.db.user.update({
      where: { id },
      data: { passwordHash, ...(changedAt ? { passwordChangedAt: changedAt } : {}) },
    });
  }
}

const toSession = (row: Prisma.SessionModel): SessionRecord => ({
  ...row,
  revokeReason: row.revokeReason as RevokeReason | null,
});

class PrismaSessionRepository implements SessionRepository {
  constructor(private readonly db: Db) {}

  async create(session: SessionRecord): Promise<void> {
    await this.db.session.create({ data: session });
  }

  async findById(id: string): Promise<SessionRecord | null> {
    const row = await this.db.session.findUnique({ where: { id } });
    return row && toSession(row);
  }

  async listActive(userId: string): Promise<SessionRecord[]> {
    const rows = await this.db.session.findMany({
      where: { userId, revokedAt: null },
      orderBy: { lastUsedAt: 'desc' },
    });
    return rows.map(toSession);
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.session.update({ where: { id }, data: { lastUsedAt: at } });
  }

  async revoke(id: string, reason: RevokeReason, at: Date): Promise<boolean> {
    const { count } = await this.db.session.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: at, revokeReason: reason },
    });
    return count === 1;
  }

  async revokeAllOfUser(userId: string, reason: RevokeReason, at: Date, keep?: string): Promise<string[]> {
    const rows = await this.db.session.updateManyAndReturn({
      where: { userId, revokedAt: null, ...(keep ? { id: { not: keep } } : {}) },
      data: { revokedAt: at, revokeReason: reason },
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  async listRevokedSince(
    since: Date,
    afterId: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; revokedAt: Date }>> {
    const rows = await this.db.session.findMany({
      where: afterId
        ? { OR: [{ revokedAt: { gt: since } }, { revokedAt: since, id: { gt: afterId } }] }
        : { revokedAt: { gte: since } },
      orderBy: [{ revokedAt: 'asc' }, { id: 'asc' }],
      take: limit,
      select: { id: true, revokedAt: true },
    });
    return rows.map((row) => ({ id: row.id, revokedAt: row.revokedAt! }));
  }

  async addRefreshToken(token: RefreshTokenRecord): Promise<void> {
    await this.db.refreshToken.create({ data: token });
  }

  findRefreshTokenByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return this.db.refreshToken.findUnique({ where: { tokenHash } });
  }

  async spendRefreshToken(id: string, at: Date): Promise<boolean> {
    // The UPDATE takes the row lock; a concurrent spender waits for it, then
    // re-evaluates `spentAt: null` against the committed row and updates nothing.
    const { count } = await this.db.refreshToken.updateMany({
      where: { id, spentAt: null },
      data: { spentAt: at },
    });
    return count === 1;
  }

  async deleteRefreshTokensExpiredBefore(cutoff: Date): Promise<number> {
    const { count } = await this.db.refreshToken.deleteMany({ where: { expiresAt: { lt: cutoff } } });
    return count;
  }
}

class PrismaKeyDirectoryRepository implements KeyDirectoryRepository {
  constructor(private readonly db: Db) {}

  latestBundle(userId: string): Promise<KeyBundleRecord | null> {
    return this.db.keyBundle.findFirst({ where: { userId }, orderBy: { keyVersion: 'desc' } });
  }

  bundle(userId: string, keyVersion: number): Promise<KeyBundleRecord | null> {
    return this.db.keyBundle.findUnique({ where: { userId_keyVersion: { userId, keyVersion } } });
  }

  async addBundle(bundle: KeyBundleRecord): Promise<void> {
    try {
      await this.db.keyBundle.create({ data: bundle });
    } catch (error) {
      if (isUniqueViolation(error)) throw new KeyVersionTakenError();
      throw error;
    }
  }

  async backup(userId: string): Promise<KeyBackupRecord | null> {
    const row = await this.db.keyBackup.findUnique({ where: { userId } });
    return row && { ...row, backup: row.backup as KeyBackup };
  }

  async putBackup(backup: KeyBackupRecord): Promise<void> {
    const data = { ...backup, backup: backup.backup as Prisma.InputJsonObject };
    await this.db.keyBackup.upsert({ where: { userId: backup.userId }, create: data, update: data });
  }

  async replaceBackupOfVersion(backup: KeyBackupRecord): Promise<boolean> {
    const { count } = await this.db.keyBackup.updateMany({
      where: { userId: backup.userId, keyVersion: backup.keyVersion },
      data: { backup: backup.backup as Prisma.InputJsonObject, updatedAt: backup.updatedAt },
    });
    return count === 1;
  }
}

class PrismaOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Db) {}

  async add(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.outboxEvent.createMany({
      data: events.map((event) => ({
        id: event.id,
        name: event.name,
        payload: event.payload as Prisma.InputJsonValue,
        occurredAt: event.occurredAt,
      })),
    });
  }

  async claim(limit: number, now: Date, leaseUntil: Date): Promise<ClaimedEvent[]> {
    const rows = await this.db.$queryRaw<
      Array<{ id: string; name: string; payload: unknown; occurred_at: Date; attempts: number }>
    >`
      UPDATE outbox_events SET claimed_until = ${leaseUntil}, attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM outbox_events
        WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ${now})
        ORDER BY occurred_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, name, payload, occurred_at, attempts`;
    return rows
      .map((row) => ({
        id: row.id,
        name: row.name as MessageName,
        payload: row.payload,
        occurredAt: row.occurred_at,
        attempts: row.attempts,
      }))
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  }

  async markPublished(ids: readonly string[], at: Date): Promise<void> {
    await this.db.outboxEvent.updateMany({
      where: { id: { in: [...ids] } },
      data: { publishedAt: at, claimedUntil: null, lastError: null },
    });
  }

  async markFailed(id: string, error: string, retryAt: Date): Promise<void> {
    await this.db.outboxEvent.update({
      where: { id },
      data: { lastError: error.slice(0, 1000), claimedUntil: retryAt },
    });
  }

  async release(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.outboxEvent.updateMany({
      where: { id: { in: [...ids] }, publishedAt: null },
      data: { claimedUntil: at, attempts: { decrement: 1 } },
    });
  }

  pendingCount(): Promise<number> {
    return this.db.outboxEvent.count({ where: { publishedAt: null } });
  }

  async deletePublishedBefore(cutoff: Date): Promise<number> {
    const { count } = await this.db.outboxEvent.deleteMany({ where: { publishedAt: { lt: cutoff } } });
    return count;
  }
}

class PrismaSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.prisma.signingKey.findMany({ orderBy: [{ activatesAt: 'asc' }, { kid: 'asc' }] });
    return rows.map((row) => ({ ...row, publicJwk: row.publicJwk as PublicJwk }));
  }

  async add(key: SigningKeyRecord): Promise<void> {
    await this.prisma.signingKey.create({ data: key });
  }

  addIfNone(key: SigningKeyRecord): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_KEY_LOCK})`;
      if ((await tx.signingKey.count()) > 0) return false;
      await tx.signingKey.create({ data: key });
      return true;
    });
  }

  async delete(kids: readonly string[]): Promise<void> {
    await this.prisma.signingKey.deleteMany({ where: { kid: { in: [...kids] } } });
  }
}

class PrismaRateLimitStore implements RateLimitStore {
  constructor(private readonly prisma: PrismaClient) {}

  async hit(key: string, windowStart: Date, windowMs: number): Promise<WindowCounts> {
    const previousStart = new Date(windowStart.getTime() - windowMs);
    const expiresAt = new Date(windowStart.getTime() + 2 * windowMs);
    // One statement: the row lock of the upsert serialises concurrent hits from every copy.
    // A copy whose clock lags (c.window_start ahead of ours) counts into the newer window.
    const rows = await this.prisma.$queryRaw<Array<{ count: number; previous_count: number }>>`
      INSERT INTO rate_limit_counters AS c (key, window_start, count, previous_count, expires_at)
      VALUES (${key}, ${windowStart}, 1, 0, ${expiresAt})
      ON CONFLICT (key) DO UPDATE SET
        previous_count = CASE
          WHEN c.window_start >= EXCLUDED.window_start THEN c.previous_count
          WHEN c.window_start = ${previousStart} THEN c.count
          ELSE 0 END,
        count = CASE WHEN c.window_start >= EXCLUDED.window_start THEN c.count + 1 ELSE 1 END,
        window_start = GREATEST(c.window_start, EXCLUDED.window_start),
        expires_at = GREATEST(c.expires_at, EXCLUDED.expires_at)
      RETURNING count, previous_count`;
    const row = rows[0];
    if (!row) throw new Error('rate-limit upsert returned no row');
    return { count: row.count, previousCount: row.previous_count };
  }

  async deleteExpired(now: Date): Promise<number> {
    const { count } = await this.prisma.rateLimitCounter.deleteMany({ where: { expiresAt: { lt: now } } });
    return count;
  }
}

function repositories(db: Db): Repositories {
  return {
    users: new PrismaUserRepository(db),
    sessions: new PrismaSessionRepository(db),
    keyDirectory: new PrismaKeyDirectoryRepository(db),
    outbox: new PrismaOutboxRepository(db),
  };
}

/** The Store over a Prisma client (Prisma 7, driver adapter: no query engine binary). */
export function prismaStore(prisma: PrismaClient): Store {
  return {
    ...repositories(prisma),
    signingKeys: new PrismaSigningKeyRepository(prisma),
    rateLimits: new PrismaRateLimitStore(prisma),
    transaction: (work) => prisma.$transaction((tx) => work(repositories(tx))),
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    close: () => prisma.$disconnect(),
  };
}

export { PrismaClient };
