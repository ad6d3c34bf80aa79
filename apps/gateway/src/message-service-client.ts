import { AppError, PendingPage as PendingPageSchema } from '@im/contracts';
import type { z } from 'zod';

export type PendingPage = z.infer<typeof PendingPageSchema>;

export interface PendingRequest {
  deviceId: string;
  userId: string;
  limit: number;
  /** From the previous page's `nextPageToken`; absent for the first page. */
  pageToken?: string;
}

/** What the gateway needs from the message service: the device's offline queue, page by page. */
export interface MessageServiceClient {
  /** Rejects with AppError UNAVAILABLE when the message service cannot answer (transient). */
  pending(request: PendingRequest): Promise<PendingPage>;
}

export interface HttpMessageServiceClientOptions {
  /** e.g. http://127.0.0.1:8082 */
  baseUrl: string;
  /** Sent as `x-internal-token`. */
  internalToken: string;
  /** Per request, ms (default 10 000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The message service's internal HTTP API (`GET /internal/v1/devices/:deviceId/pending`). */
export function createHttpMessageServiceClient(
  options: HttpMessageServiceClientOptions,
): MessageServiceClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async pending(request) {
      const url = new URL(
        `/internal/v1/devices/${encodeURIComponent(request.deviceId)}/pending`,
        options.baseUrl,
      );
      url.searchParams.set('userId', request.userId);
      url.searchParams.set('limit', String(request.limit));
      if (request.pageToken !== undefined) url.searchParams.set('pageToken', request.pageToken);
      let response: Response;
      try {
        response = await doFetch(url, {
          headers: { 'x-internal-token': options.internalToken, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new AppError('UNAVAILABLE', `message service unreachable: ${describe(error)}`);
      }
      if (!response.ok) {
        const body = await response.text().catch(() => '');
        throw new AppError(
          'UNAVAILABLE',
          `message service answered HTTP ${response.status}: ${body.slice(0, 200)}`,
        );
      }
      const parsed = PendingPageSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) throw new AppError('UNAVAILABLE', 'message service sent a malformed pending page');
      return parsed.data;
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
