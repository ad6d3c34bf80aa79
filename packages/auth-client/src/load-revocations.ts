import { AppError, RevocationsResponse } from '@im/contracts';
import type { RevocationList } from './revocation-list.js';

export interface LoadRevocationsOptions {
  /** The auth service's base URL (`http://auth-service:8080`). */
  authUrl: string | URL;
  /** The shared `x-internal-token`. */
  internalToken: string;
  /** Per request, ms (default 5 s). */
  timeoutMs?: number;
}

/**
 * Seeds a revocation list at start-up with the sessions revoked within one
 * access-token lifetime (`GET /internal/v1/revocations`, paged), so a service
 * that just started refuses those tokens too. Subscribe to `session.revoked.v1`
 * before calling this, so nothing falls between the two. Returns how many
 * revocations were loaded; throws UNAVAILABLE when the auth service cannot be
 * asked.
 */
export async function loadRevocations(
  list: RevocationList,
  options: LoadRevocationsOptions,
): Promise<number> {
  let cursor: { since: string; afterId: string } | undefined;
  let loaded = 0;
  for (;;) {
    const url = new URL('/internal/v1/revocations', options.authUrl);
    if (cursor) {
      url.searchParams.set('since', cursor.since);
      url.searchParams.set('afterId', cursor.afterId);
    }
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { 'x-internal-token': options.internalToken },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new AppError(
        'UNAVAILABLE',
        `The auth service could not be asked for revocations: ${String(error)}`,
      );
    }
    if (!response.ok) {
      throw new AppError('UNAVAILABLE', `The auth service answered ${response.status} for revocations`);
    }
    const page = RevocationsResponse.parse(await response.json());
    for (const entry of page.revocations) list.apply(entry);
    loaded += page.revocations.length;
    const last = page.revocations.at(-1);
    if (!page.hasMore || !last) return loaded;
    cursor = { since: last.revokedAt, afterId: last.sessionId };
  }
}
