import type {
  Conversation,
  KeyBackupResponse,
  PublicUser,
  PutKeyBackupBody,
  PutKeysBody,
  RegisterResponse,
  SessionInfo,
  StoredMessage,
  TokenPair,
  UserKeys,
} from '@im/contracts';
import type { SessionManager } from '../session/session.js';
import { ApiError, endsSession, errorFromResponse } from './errors.js';

export interface HistoryPage {
  messages: StoredMessage[];
  hasMore: boolean;
}

export interface PresenceEntry {
  userId: string;
  status: 'online' | 'offline';
  lastSeenAt: string | null;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/**
 * The HTTP APIs of the auth and message services, on this page's origin.
 * Authenticated calls refresh the access token once when it has expired.
 */
export class Api {
  constructor(
    readonly session: SessionManager,
    /** A token to use as is (the steps right after login, before the session is stored). */
    readonly fixedToken?: string,
  ) {}

  /** The same API authenticated with one given access token, independent of the stored session. */
  withToken(accessToken: string): Api {
    return new Api(this.session, accessToken);
  }

  // ---- auth (no token) ----------------------------------------------------------

  register(username: string, password: string): Promise<RegisterResponse> {
    return this.#send('POST', '/v1/auth/register', { username, password }, false);
  }

  login(username: string, password: string, deviceName: string): Promise<TokenPair> {
    return this.#send('POST', '/v1/auth/login', { username, password, deviceName }, false);
  }

  // ---- auth ------------------------------------------------------------------------

  logout(): Promise<void> {
    return this.#send('POST', '/v1/auth/logout', undefined);
  }

  async sessions(): Promise<SessionInfo[]> {
    return (await this.#send<{ sessions: SessionInfo[] }>('GET', '/v1/auth/sessions')).sessions;
  }

  revokeSession(sessionId: string): Promise<void> {
    return this.#send('DELETE', `/v1/auth/sessions/${encodeURIComponent(sessionId)}`);
  }

  async searchUsers(query: string): Promise<PublicUser[]> {
    const q = new URLSearchParams({ query, limit: '10' });
    return (await this.#send<{ users: PublicUser[] }>('GET', `/v1/users?${q}`)).users;
  }

  user(userId: string): Promise<PublicUser> {
    return this.#send('GET', `/v1/users/${encodeURIComponent(userId)}`);
  }

  // ---- key directory -----------------------------------------------------------

  putKeys(body: PutKeysBody): Promise<UserKeys> {
    return this.#send('PUT', '/v1/keys', body);
  }

  userKeys(userId: string, version?: number): Promise<UserKeys> {
    const q = version === undefined ? '' : `?version=${version}`;
    return this.#send('GET', `/v1/users/${encodeURIComponent(userId)}/keys${q}`);
  }

  keyBackup(): Promise<KeyBackupResponse> {
    return this.#send('GET', '/v1/keys/backup');
  }

  putKeyBackup(body: PutKeyBackupBody): Promise<KeyBackupResponse> {
    return this.#send('PUT', '/v1/keys/backup', body);
  }

  /** Ends every other session of the user. */
  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return this.#send('POST', '/v1/auth/password', { currentPassword, newPassword });
  }

  // ---- conversations ---------------------------------------------------------------

  async conversations(): Promise<Conversation[]> {
    return (await this.#send<{ conversations: Conversation[] }>('GET', '/v1/conversations')).conversations;
  }

  conversation(id: string): Promise<Conversation> {
    return this.#send('GET', `/v1/conversations/${encodeURIComponent(id)}`);
  }

  openDirect(userId: string): Promise<Conversation> {
    return this.#send('POST', '/v1/conversations/direct', { userId });
  }

  createGroup(title: string, memberIds: string[]): Promise<Conversation> {
    return this.#send('POST', '/v1/conversations/groups', { title, memberIds });
  }

  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> {
    return this.#send('POST', `/v1/conversations/${encodeURIComponent(conversationId)}/members`, { userIds });
  }

  removeMember(conversationId: string, userId: string): Promise<void> {
    return this.#send(
      'DELETE',
      `/v1/conversations/${encodeURIComponent(conversationId)}/members/${encodeURIComponent(userId)}`,
    );
  }

  leave(conversationId: string): Promise<void> {
    return this.#send('POST', `/v1/conversations/${encodeURIComponent(conversationId)}/leave`);
  }

  rename(conversationId: string, title: string): Promise<Conversation> {
    return this.#send('PATCH', `/v1/conversations/${encodeURIComponent(conversationId)}`, { title });
  }

  /** Messages with seq < before (the newest page when `before` is past the end), ascending. */
  history(
    conversationId: string,
    options: { before?: number; after?: number; limit?: number },
  ): Promise<HistoryPage> {
    const q = new URLSearchParams({ limit: String(options.limit ?? 50) });
    if (options.before !== undefined) q.set('before', String(options.before));
    if (options.after !== undefined) q.set('after', String(options.after));
    return this.#send('GET', `/v1/conversations/${encodeURIComponent(conversationId)}/messages?${q}`);
  }

  async presence(userIds: string[]): Promise<PresenceEntry[]> {
    if (userIds.length === 0) return [];
    const q = new URLSearchParams({ userIds: userIds.slice(0, 200).join(',') });
    return (await this.#send<{ presence: PresenceEntry[] }>('GET', `/v1/presence?${q}`)).presence;
  }

  // ---- transport ------------------------------------------------------------------

  async #send<T>(method: Method, path: string, body?: unknown, authenticated = true): Promise<T> {
    const attempt = async (token: string | undefined): Promise<Response> => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      try {
        return await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (networkError) {
        throw new ApiError(0, 'NETWORK', networkError instanceof Error ? networkError.message : 'offline');
      }
    };
    let token = authenticated ? (this.fixedToken ?? (await this.session.accessToken())) : undefined;
    let response = await attempt(token);
    let error: ApiError | undefined;
    if (authenticated && token && !this.fixedToken && response.status === 401) {
      error = await errorFromResponse(response);
      // An expired (or rotated-away) access token: refresh once and try again.
      if (error.code === 'AUTH_TOKEN_EXPIRED' || error.code === 'AUTH_TOKEN_INVALID') {
        token = (await this.session.refresh(token)).accessToken;
        response = await attempt(token);
        error = undefined;
      }
    }
    if (error || !response.ok) {
      error ??= await errorFromResponse(response);
      // The session was revoked (from another device) or its tokens are gone: back to sign-in.
      if (authenticated && !this.fixedToken && endsSession(error)) this.session.clear();
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
