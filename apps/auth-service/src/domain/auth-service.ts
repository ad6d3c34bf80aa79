import { randomUUID } from 'node:crypto';
import type { Verifier } from '@im/auth-client';
import {
  AppError,
  type ChangePasswordBody,
  type LoginBody,
  type PublicUser,
  type RegisterBody,
  type RevocationsResponse,
  type SessionInfo,
  type TokenPair,
} from '@im/contracts';
import type { Logger } from '@im/logger';
import type { OutboxEvent } from '../repositories/outbox.js';
import type { RevokeReason, SessionRecord } from '../repositories/sessions.js';
import type { Repositories, Store } from '../repositories/store.js';
import { UsernameTakenError, type UserRecord } from '../repositories/users.js';
import type { Clock } from './clock.js';
import { outboxEvent } from './events.js';
import type { PasswordHasher } from './passwords.js';
import type { RateLimiter, RateLimitRule } from './rate-limiter.js';
import { type AccessTokenIssuer, hashRefreshToken, newRefreshToken } from './tokens.js';
import { canonicalUsername } from './usernames.js';

export interface RateLimitPolicy {
  registerPerIp: RateLimitRule;
  registerPerUsername: RateLimitRule;
  loginPerIp: RateLimitRule;
  loginPerUsername: RateLimitRule;
  refreshPerIp: RateLimitRule;
  refreshPerUser: RateLimitRule;
}

export interface AuthPolicy {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  rateLimits: RateLimitPolicy;
}

export interface AuthServiceDeps {
  store: Store;
  hasher: PasswordHasher;
  issuer: AccessTokenIssuer;
  /** Verifies this service's own access tokens (signature, algorithm, iss/aud/exp). */
  verifier: Verifier;
  rateLimiter: RateLimiter;
  policy: AuthPolicy;
  clock: Clock;
  logger: Logger;
  /** Called after a transaction that wrote outbox events has committed (wakes the relay). */
  onEventsCommitted: () => void;
}

/** Who is asking: from a verified access token whose session is still active. */
export interface Principal {
  userId: string;
  sessionId: string;
}

export interface RequestContext {
  /** Client address (behind a proxy: from X-Forwarded-For when TRUST_PROXY is set). */
  ip: string;
}

const DEFAULT_DEVICE_NAME = 'unnamed device';
/** Allowed clock difference between this service and verifiers. */
const CLOCK_SKEW_SECONDS = 60;
const REVOCATIONS_PAGE = 5_000;

const publicUser = (user: UserRecord): PublicUser => ({ id: user.id, username: user.username });

/** Accounts, sessions (one per device) and tokens. */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  async register(body: RegisterBody, context: RequestContext): Promise<PublicUser> {
    const { rateLimits } = this.deps.policy;
    const canonical = canonicalUsername(body.username);
    await this.deps.rateLimiter.enforce([
      { key: `register:ip:${context.ip}`, rule: rateLimits.registerPerIp },
      { key: `register:username:${canonical}`, rule: rateLimits.registerPerUsername },
    ]);
    const now = this.deps.clock();
    const user: UserRecord = {
      id: randomUUID(),
      username: body.username,
      usernameCanonical: canonical,
      passwordHash: await this.deps.hasher.hash(body.password),
      createdAt: now,
      passwordChangedAt: now,
    };
    try {
      await this.#transaction(async (tx) => {
        await tx.users.create(user);
        return [
          outboxEvent(
            'user.registered.v1',
            { userId: user.id, username: user.username, registeredAt: now.toISOString() },
            now,
          ),
        ];
      });
    } catch (error) {
      if (error instanceof UsernameTakenError) throw new AppError('AUTH_USERNAME_TAKEN');
      throw error;
    }
    this.deps.logger.info({ userId: user.id }, 'user registered');
    return publicUser(user);
  }

  /**
   * An unknown username and a wrong password get the same error after the same
   * work (one argon2 verification), so neither the answer nor its timing tells
   * which usernames exist.
   */
  async login(body: LoginBody, context: RequestContext): Promise<TokenPair> {
    const { rateLimits } = this.deps.policy;
    const canonical = canonicalUsername(body.username);
    await this.deps.rateLimiter.enforce([
      { key: `login:ip:${context.ip}`, rule: rateLimits.loginPerIp },
      { key: `login:username:${canonical}`, rule: rateLimits.loginPerUsername },
    ]);
    const user = await this.deps.store.users.findByCanonicalUsername(canonical);
    if (!user) {
      await this.deps.hasher.verifyNobody(body.password);
      throw new AppError('AUTH_INVALID_CREDENTIALS');
    }
    if (!(await this.#passwordMatches(user, body.password))) throw new AppError('AUTH_INVALID_CREDENTIALS');
    if (this.deps.hasher.needsRehash(user.passwordHash)) {
      await this.deps.store.users.updatePasswordHash(
        user.id,
        await this.deps.hasher.hash(body.password),
        null,
      );
    }

    const now = this.deps.clock();
    const session: SessionRecord = {
      id: randomUUID(),
      userId: user.id,
      deviceName: body.deviceName ?? DEFAULT_DEVICE_NAME,
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
      revokeReason: null,
    };
    const refresh = newRefreshToken();
    await this.#transaction(async (tx) => {
      await tx.sessions.create(session);
      await tx.sessions.addRefreshToken(this.#refreshRecord(session.id, refresh.hash, now));
      return [
        outboxEvent(
          'session.created.v1',
          {
            sessionId: session.id,
            userId: user.id,
            deviceName: session.deviceName,
            createdAt: now.toISOString(),
          },
          now,
        ),
      ];
    });
    this.deps.logger.info({ userId: user.id, sessionId: session.id }, 'session created');
    return this.#tokenPair(user, session.id, refresh.token);
  }

  /**
   * Rotates the refresh token. The old one is spent in the same transaction
   * that stores the new one; presenting a spent token revokes the whole
   * session (someone else has a copy of it). Of two concurrent refreshes with
   * one token, exactly one spends it; the other is a reuse.
   */
  async refresh(refreshToken: string, context: RequestContext): Promise<TokenPair> {
    const { rateLimits } = this.deps.policy;
    await this.deps.rateLimiter.enforce([{ key: `refresh:ip:${context.ip}`, rule: rateLimits.refreshPerIp }]);
    const hash = hashRefreshToken(refreshToken);
    const known = await this.deps.store.sessions.findRefreshTokenByHash(hash);
    if (!known) throw new AppError('AUTH_REFRESH_INVALID');
    const knownSession = await this.deps.store.sessions.findById(known.sessionId);
    if (!knownSession) throw new AppError('AUTH_REFRESH_INVALID');
    await this.deps.rateLimiter.enforce([
      { key: `refresh:user:${knownSession.userId}`, rule: rateLimits.refreshPerUser },
    ]);

    const now = this.deps.clock();
    const next = newRefreshToken();
    const outcome = await this.#transaction(async (tx) => {
      const session = await tx.sessions.findById(known.sessionId);
      if (!session || session.revokedAt) return { result: 'invalid' as const, events: [] };
      if (known.expiresAt <= now) return { result: 'invalid' as const, events: [] };
      if (!(await tx.sessions.spendRefreshToken(known.id, now))) {
        return { result: 'reused' as const, events: await this.#revoke(tx, session, 'reuse_detected', now) };
      }
      await tx.sessions.addRefreshToken(this.#refreshRecord(session.id, next.hash, now));
      await tx.sessions.touch(session.id, now);
      return { result: 'rotated' as const, session, events: [] };
    });
    if (outcome.result === 'reused') {
      this.deps.logger.warn(
        { userId: knownSession.userId, sessionId: knownSession.id },
        'spent refresh token presented; session revoked',
      );
      throw new AppError('AUTH_REFRESH_REUSED');
    }
    if (outcome.result === 'invalid') throw new AppError('AUTH_REFRESH_INVALID');
    const user = await this.deps.store.users.findById(outcome.session.userId);
    if (!user) throw new AppError('AUTH_REFRESH_INVALID');
    return this.#tokenPair(user, outcome.session.id, next.token);
  }

  /** Verifies a bearer token and that its session is still active (this service reads the database directly). */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new AppError('AUTH_TOKEN_MISSING');
    const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    if (!match?.[1]) throw new AppError('AUTH_TOKEN_INVALID', 'Use the Authorization header: Bearer <token>');
    const verified = await this.deps.verifier.verify(match[1]);
    const session = await this.deps.store.sessions.findById(verified.sessionId);
    if (!session || session.userId !== verified.userId) throw new AppError('AUTH_TOKEN_INVALID');
    if (session.revokedAt) throw new AppError('AUTH_SESSION_REVOKED');
    return { userId: verified.userId, sessionId: verified.sessionId };
  }

  async logout(principal: Principal): Promise<void> {
    await this.#revokeOne(principal.sessionId, 'logout');
  }

  async listSessions(principal: Principal): Promise<SessionInfo[]> {
    const sessions = await this.deps.store.sessions.listActive(principal.userId);
    return sessions.map((session) => ({
      id: session.id,
      deviceName: session.deviceName,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      current: session.id === principal.sessionId,
    }));
  }

  /** Ends one of the caller's sessions (another device, or this one). Someone else's is "not found". */
  async deleteSession(principal: Principal, sessionId: string): Promise<void> {
    const session = await this.deps.store.sessions.findById(sessionId);
    if (!session || session.userId !== principal.userId || session.revokedAt) {
      throw new AppError('NOT_FOUND', 'No such session');
    }
    await this.#revokeOne(sessionId, 'deleted');
  }

  /** Changes the password and ends every other session of the user. */
  async changePassword(
    principal: Principal,
    body: ChangePasswordBody,
    context: RequestContext,
  ): Promise<void> {
    const user = await this.deps.store.users.findById(principal.userId);
    if (!user) throw new AppError('AUTH_TOKEN_INVALID');
    await this.deps.rateLimiter.enforce([
      { key: `login:username:${user.usernameCanonical}`, rule: this.deps.policy.rateLimits.loginPerUsername },
      { key: `login:ip:${context.ip}`, rule: this.deps.policy.rateLimits.loginPerIp },
    ]);
    if (!(await this.#passwordMatches(user, body.currentPassword))) {
      throw new AppError('AUTH_INVALID_CREDENTIALS', 'The current password is wrong');
    }
    const passwordHash = await this.deps.hasher.hash(body.newPassword);
    const now = this.deps.clock();
    await this.#transaction(async (tx) => {
      await tx.users.updatePasswordHash(user.id, passwordHash, now);
      const revoked = await tx.sessions.revokeAllOfUser(
        user.id,
        'password_changed',
        now,
        principal.sessionId,
      );
      return revoked.map((sessionId) => this.#revokedEvent(sessionId, user.id, 'password_changed', now));
    });
    this.deps.logger.info({ userId: user.id }, 'password changed; other sessions revoked');
  }

  /**
   * Sessions revoked since `since` (never earlier than one access-token
   * lifetime plus clock skew ago: older revocations have no live token left),
   * for a verifier that starts without history.
   */
  async recentRevocations(
    page: { since?: Date; afterId?: string } = {},
    limit = REVOCATIONS_PAGE,
  ): Promise<RevocationsResponse> {
    const horizon = new Date(
      this.deps.clock().getTime() - (this.deps.policy.accessTokenTtlSeconds + CLOCK_SKEW_SECONDS) * 1000,
    );
    const resume = page.since !== undefined && page.since > horizon;
    const from = resume ? page.since! : horizon;
    const rows = await this.deps.store.sessions.listRevokedSince(
      from,
      resume ? page.afterId : undefined,
      limit + 1,
    );
    return {
      revocations: rows
        .slice(0, limit)
        .map((row) => ({ sessionId: row.id, revokedAt: row.revokedAt.toISOString() })),
      since: from.toISOString(),
      hasMore: rows.length > limit,
    };
  }

  async getUser(id: string): Promise<PublicUser> {
    const user = await this.deps.store.users.findById(id);
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    return publicUser(user);
  }

  async searchUsers(query: string, limit: number): Promise<PublicUser[]> {
    const users = await this.deps.store.users.searchByPrefix(canonicalUsername(query), limit);
    return users.map(publicUser);
  }

  async #passwordMatches(user: UserRecord, password: string): Promise<boolean> {
    try {
      return await this.deps.hasher.verify(user.passwordHash, password);
    } catch (error) {
      // An unreadable stored hash is a data problem, not the caller's: log it, refuse the login.
      this.deps.logger.error({ err: error, userId: user.id }, 'stored password hash cannot be verified');
      return false;
    }
  }

  async #revokeOne(sessionId: string, reason: RevokeReason): Promise<void> {
    const now = this.deps.clock();
    await this.#transaction(async (tx) => {
      const session = await tx.sessions.findById(sessionId);
      return session ? this.#revoke(tx, session, reason, now) : [];
    });
  }

  /** Revokes a session (if still active) and returns its event for the same transaction. */
  async #revoke(
    tx: Repositories,
    session: SessionRecord,
    reason: RevokeReason,
    now: Date,
  ): Promise<OutboxEvent[]> {
    if (!(await tx.sessions.revoke(session.id, reason, now))) return [];
    this.deps.logger.info({ userId: session.userId, sessionId: session.id, reason }, 'session revoked');
    return [this.#revokedEvent(session.id, session.userId, reason, now)];
  }

  #revokedEvent(sessionId: string, userId: string, reason: RevokeReason, now: Date): OutboxEvent {
    return outboxEvent(
      'session.revoked.v1',
      { sessionId, userId, reason, revokedAt: now.toISOString() },
      now,
    );
  }

  #refreshRecord(sessionId: string, tokenHash: string, now: Date) {
    return {
      id: randomUUID(),
      sessionId,
      tokenHash,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.deps.policy.refreshTokenTtlSeconds * 1000),
      spentAt: null,
    };
  }

  async #tokenPair(user: UserRecord, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const access = await this.deps.issuer.issue({ userId: user.id, sessionId });
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      refreshExpiresIn: this.deps.policy.refreshTokenTtlSeconds,
      sessionId,
      user: publicUser(user),
    };
  }

  /**
   * Runs `work` in a transaction that also stores the events it returns (or
   * the `events` of the object it returns), then wakes the relay.
   */
  async #transaction<T extends OutboxEvent[] | { events: OutboxEvent[] }>(
    work: (tx: Repositories) => Promise<T>,
  ): Promise<T> {
    const result = await this.deps.store.transaction(async (tx) => {
      const value = await work(tx);
      await tx.outbox.add(Array.isArray(value) ? value : value.events);
      return value;
    });
    if ((Array.isArray(result) ? result : result.events).length > 0) this.deps.onEventsCommitted();
    return result;
  }
}
