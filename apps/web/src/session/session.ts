import type { TokenPair } from '@im/contracts';
import { ApiError, endsSession, errorFromResponse } from '../api/errors.js';

/** What survives a reload: the token pair of this browser's session (one per browser profile). */
export interface StoredSession {
  readonly userId: string;
  readonly username: string;
  /** The device id in the messaging protocol. */
  readonly sessionId: string;
  readonly accessToken: string;
  /** Epoch ms. */
  readonly accessExpiresAt: number;
  readonly refreshToken: string;
}

const STORAGE_KEY = 'im.session.v1';
const LOCK_NAME = 'im.session.refresh';
/** Refresh a little before expiry so a request never leaves with a token about to lapse. */
const EXPIRY_MARGIN_MS = 30_000;

export type SessionListener = (session: StoredSession | null) => void;

/**
 * The signed-in session: token pair in localStorage, refreshed on demand.
 *
 * Refresh tokens are single-use and reusing one revokes the whole session, so
 * two tabs must never refresh with the same token. Refreshes run under a Web
 * Lock shared by all tabs of the origin, and each refresh re-reads storage
 * inside the lock: a tab that waited finds the pair another tab just got.
 */
export class SessionManager {
  readonly #storage: Storage;
  readonly #listeners = new Set<SessionListener>();
  #session: StoredSession | null;

  constructor(storage: Storage = window.localStorage) {
    this.#storage = storage;
    this.#session = this.#read();
    window.addEventListener('storage', (event) => {
      if (event.key !== STORAGE_KEY) return;
      const next = this.#read();
      // Another tab signed out or in as someone else: follow it.
      if (next?.sessionId !== this.#session?.sessionId) {
        this.#session = next;
        this.#emit();
      } else {
        this.#session = next;
      }
    });
  }

  get current(): StoredSession | null {
    return this.#session;
  }

  /** Bound, so it can be handed to `useSyncExternalStore` as is. */
  subscribe = (listener: SessionListener): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  /** Stores a fresh pair from login. */
  begin(pair: TokenPair): StoredSession {
    const session = fromPair(pair);
    this.#write(session);
    this.#emit();
    return session;
  }

  /** Forgets the session locally (after logout, or when the server ended it). */
  clear(): void {
    this.#storage.removeItem(STORAGE_KEY);
    this.#session = null;
    this.#emit();
  }

  /** A valid access token, refreshing first when it is about to expire. */
  async accessToken(): Promise<string> {
    const session = this.#session;
    if (!session) throw new ApiError(401, 'AUTH_TOKEN_MISSING', 'Not signed in');
    if (session.accessExpiresAt - EXPIRY_MARGIN_MS > Date.now()) return session.accessToken;
    return (await this.refresh(session.accessToken)).accessToken;
  }

  /**
   * Gets a new pair unless someone already replaced `staleAccessToken`. Ends
   * the session when the server refuses the refresh token for good.
   */
  async refresh(staleAccessToken: string): Promise<StoredSession> {
    return withLock(LOCK_NAME, async () => {
      const stored = this.#read();
      if (!stored) {
        this.clear();
        throw new ApiError(401, 'AUTH_TOKEN_MISSING', 'Signed out');
      }
      if (stored.accessToken !== staleAccessToken && stored.accessExpiresAt - EXPIRY_MARGIN_MS > Date.now()) {
        this.#session = stored;
        return stored;
      }
      let response: Response;
      try {
        response = await fetch('/v1/auth/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: stored.refreshToken }),
        });
      } catch (networkError) {
        throw new ApiError(0, 'NETWORK', networkError instanceof Error ? networkError.message : 'offline');
      }
      if (!response.ok) {
        const error = await errorFromResponse(response);
        if (endsSession(error) || response.status === 401) this.clear();
        throw error;
      }
      const session = fromPair((await response.json()) as TokenPair);
      this.#write(session);
      return session;
    });
  }

  #read(): StoredSession | null {
    const raw = this.#storage.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      const value = JSON.parse(raw) as Partial<StoredSession>;
      if (
        typeof value.userId === 'string' &&
        typeof value.username === 'string' &&
        typeof value.sessionId === 'string' &&
        typeof value.accessToken === 'string' &&
        typeof value.accessExpiresAt === 'number' &&
        typeof value.refreshToken === 'string'
      ) {
        return value as StoredSession;
      }
    } catch (parseError) {
      console.warn('discarding an unreadable stored session', parseError);
    }
    return null;
  }

  #write(session: StoredSession): void {
    this.#storage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.#session = session;
  }

  #emit(): void {
    for (const listener of this.#listeners) listener(this.#session);
  }
}

function fromPair(pair: TokenPair): StoredSession {
  return {
    userId: pair.user.id,
    username: pair.user.username,
    sessionId: pair.sessionId,
    accessToken: pair.accessToken,
    accessExpiresAt: Date.now() + pair.expiresIn * 1000,
    refreshToken: pair.refreshToken,
  };
}

async function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  if (typeof navigator !== 'undefined' && navigator.locks) {
    return navigator.locks.request(name, task);
  }
  return task();
}
