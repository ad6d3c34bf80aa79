import { AppError } from '@im/contracts';
import { z } from 'zod';

/** What the delivery worker asks the message service (internal API). */
export interface MemberDirectory {
  /** Current member ids of a conversation; null when it does not exist. */
  members(conversationId: string): Promise<string[] | null>;
  /** Everyone who shares a conversation with the user. */
  contacts(userId: string): Promise<string[]>;
}

export interface HttpDirectoryOptions {
  /** e.g. http://127.0.0.1:8082 */
  baseUrl: string;
  /** Sent as `x-internal-token`. */
  internalToken: string;
  /** Per request, ms (default 5 000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const MemberIds = z.object({ memberIds: z.array(z.string()) });
const UserIds = z.object({ userIds: z.array(z.string()) });

/** The message service's internal endpoints; failures are AppError UNAVAILABLE (retried by the consumer). */
export function createHttpDirectory(options: HttpDirectoryOptions): MemberDirectory {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;

  async function get<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
    const url = new URL(path, options.baseUrl);
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: { 'x-internal-token': options.internalToken, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AppError(
        'UNAVAILABLE',
        `message service unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (response.status === 404) return null;
    if (!response.ok)
      throw new AppError(
        'UNAVAILABLE',
        `message service answered HTTP ${response.status} for ${url.pathname}`,
      );
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success)
      throw new AppError('UNAVAILABLE', `message service sent a malformed answer for ${url.pathname}`);
    return parsed.data;
  }

  return {
    async members(conversationId) {
      const body = await get(
        `/internal/v1/conversations/${encodeURIComponent(conversationId)}/members`,
        MemberIds,
      );
      return body?.memberIds ?? null;
    },
    async contacts(userId) {
      const body = await get(`/internal/v1/users/${encodeURIComponent(userId)}/contacts`, UserIds);
      return body?.userIds ?? [];
    },
  };
}
