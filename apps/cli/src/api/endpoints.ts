import {
  Conversation,
  ConversationList,
  HistoryPage,
  KeyBackupResponse,
  type KeyBackupResponse as KeyBackupResponseType,
  PresenceList,
  PublicUser,
  type PutKeysBody,
  RegisterResponse,
  SessionList,
  TokenPair,
  UserKeys,
  UserList,
} from '@im/contracts';
import type { z } from 'zod';
import type { HttpClient } from './http.js';

/**
 * The HTTP API as the terminal client uses it: one function per endpoint, each
 * answer validated against its schema from @im/contracts.
 */

/** Any authenticated caller: an HTTP client plus a way to get a current token. */
export interface Authed {
  call<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options?: { body?: unknown; query?: Record<string, string | number | undefined>; schema?: S },
  ): Promise<z.infer<S>>;
}

const id = (value: string) => encodeURIComponent(value);

// ---- auth (no token) ----------------------------------------------------------

export function register(http: HttpClient, username: string, password: string) {
  return http.request('POST', '/v1/auth/register', {
    body: { username, password },
    schema: RegisterResponse,
  });
}

export function login(http: HttpClient, username: string, password: string, deviceName: string) {
  return http.request('POST', '/v1/auth/login', {
    body: { username, password, deviceName },
    schema: TokenPair,
  });
}

export function refresh(http: HttpClient, refreshToken: string) {
  return http.request('POST', '/v1/auth/refresh', { body: { refreshToken }, schema: TokenPair });
}

// ---- auth ---------------------------------------------------------------------

export function logout(api: Authed) {
  return api.call('POST', '/v1/auth/logout');
}

export async function sessions(api: Authed) {
  return (await api.call('GET', '/v1/auth/sessions', { schema: SessionList })).sessions;
}

export function revokeSession(api: Authed, sessionId: string) {
  return api.call('DELETE', `/v1/auth/sessions/${id(sessionId)}`);
}

export async function searchUsers(api: Authed, query: string, limit = 20) {
  return (await api.call('GET', '/v1/users', { query: { query, limit }, schema: UserList })).users;
}

export function user(api: Authed, userId: string) {
  return api.call('GET', `/v1/users/${id(userId)}`, { schema: PublicUser });
}

// ---- key directory ------------------------------------------------------------

export function putKeys(api: Authed, body: PutKeysBody) {
  return api.call('PUT', '/v1/keys', { body, schema: UserKeys });
}

export function putKeyBackup(api: Authed, keyVersion: number, backup: Record<string, unknown>) {
  return api.call('PUT', '/v1/keys/backup', { body: { keyVersion, backup } });
}

export function userKeys(api: Authed, userId: string, version?: number) {
  return api.call('GET', `/v1/users/${id(userId)}/keys`, { query: { version }, schema: UserKeys });
}

export function keyBackup(api: Authed): Promise<KeyBackupResponseType> {
  return api.call('GET', '/v1/keys/backup', { schema: KeyBackupResponse });
}

// ---- conversations ------------------------------------------------------------

export async function conversations(api: Authed) {
  return (await api.call('GET', '/v1/conversations', { schema: ConversationList })).conversations;
}

export function conversation(api: Authed, conversationId: string) {
  return api.call('GET', `/v1/conversations/${id(conversationId)}`, { schema: Conversation });
}

export function openDirect(api: Authed, userId: string) {
  return api.call('POST', '/v1/conversations/direct', { body: { userId }, schema: Conversation });
}

export function createGroup(api: Authed, title: string, memberIds: string[]) {
  return api.call('POST', '/v1/conversations/groups', { body: { title, memberIds }, schema: Conversation });
}

export function addMembers(api: Authed, conversationId: string, userIds: string[]) {
  return api.call('POST', `/v1/conversations/${id(conversationId)}/members`, { body: { userIds } });
}

export function removeMember(api: Authed, conversationId: string, userId: string) {
  return api.call('DELETE', `/v1/conversations/${id(conversationId)}/members/${id(userId)}`);
}

export function leave(api: Authed, conversationId: string) {
  return api.call('POST', `/v1/conversations/${id(conversationId)}/leave`);
}

/** Messages after `after` (oldest first), before `before`, or (neither) the newest; always ascending. */
export function history(
  api: Authed,
  conversationId: string,
  page: { before?: number; after?: number; limit?: number },
) {
  return api.call('GET', `/v1/conversations/${id(conversationId)}/messages`, {
    query: { before: page.before, after: page.after, limit: page.limit ?? 50 },
    schema: HistoryPage,
  });
}

export async function presence(api: Authed, userIds: readonly string[]) {
  if (userIds.length === 0) return [];
  const list = await api.call('GET', '/v1/presence', {
    query: { userIds: userIds.slice(0, 200).join(',') },
    schema: PresenceList,
  });
  return list.presence;
}
