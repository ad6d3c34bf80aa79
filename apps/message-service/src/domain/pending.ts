import { AppError, type PendingPage } from '@im/contracts';
import { z } from 'zod';
import type { PendingPosition } from '../repositories/messages.js';
import type { MessageStore } from '../repositories/store.js';
import { toStoredMessage } from './mapping.js';

export interface PendingRequest {
  readonly deviceId: string;
  readonly userId: string;
  readonly limit: number;
  readonly pageToken?: string | undefined;
}

/**
 * One page of a device's offline queue: the messages after its cursors, in
 * (conversation, seq) order, keyset-paged.
 *
 * The first page (no token) also settles the device's cursors:
 * - a device never seen before gets cursors at every conversation's last seq
 *   and `resync: 'new_device'` (nothing to drain; it loads recent history);
 * - a conversation joined since the device's cursors were made starts at the
 *   member's join seq;
 * - cursors behind the retention horizon are moved up to it, with
 *   `resync: 'retention'` (what remains is drained).
 *
 * The gateway acks as it delivers; acks between pages do not disturb the
 * keyset, which only moves forward.
 */
export async function pendingPage(store: MessageStore, request: PendingRequest): Promise<PendingPage> {
  let resync: PendingPage['resync'] = null;
  let after: PendingPosition | null = null;
  if (request.pageToken !== undefined) {
    after = decodePageToken(request.pageToken);
    await assertDeviceOf(store, request.deviceId, request.userId);
  } else {
    resync = await store.transaction(async (repos) => {
      const device = await repos.devices.find(request.deviceId);
      if (device && device.userId !== request.userId) throw deviceOfAnotherUser();
      if (!device && (await repos.devices.register(request.deviceId, request.userId))) {
        await repos.devices.createCursorsAtLastSeq(request.deviceId, request.userId);
        return 'new_device' as const;
      }
      await repos.devices.createMissingCursors(request.deviceId, request.userId);
      const skipped = await repos.devices.skipPurged(request.deviceId);
      return skipped > 0 ? ('retention' as const) : null;
    });
    if (resync === 'new_device') return { messages: [], nextPageToken: null, resync };
  }
  const rows = await store.repos.messages.pendingForDevice(
    request.deviceId,
    request.userId,
    after,
    request.limit + 1,
  );
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  return {
    messages: page.map(toStoredMessage),
    nextPageToken:
      rows.length > request.limit && last
        ? encodePageToken({ conversationId: last.conversationId, seq: last.seq })
        : null,
    resync,
  };
}

async function assertDeviceOf(store: MessageStore, deviceId: string, userId: string): Promise<void> {
  const device = await store.repos.devices.find(deviceId);
  if (device && device.userId !== userId) throw deviceOfAnotherUser();
}

function deviceOfAnotherUser(): AppError {
  return new AppError('AUTH_FORBIDDEN', 'This device belongs to another user');
}

const PageToken = z.tuple([z.uuid(), z.number().int().nonnegative()]);

/** Opaque to clients: base64url of `[conversationId, seq]`, the last position returned. */
export function encodePageToken(position: PendingPosition): string {
  return Buffer.from(JSON.stringify([position.conversationId, position.seq])).toString('base64url');
}

export function decodePageToken(token: string): PendingPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    // Not base64url JSON: answered as a validation error below.
    parsed = undefined;
  }
  const result = PageToken.safeParse(parsed);
  if (!result.success)
    throw new AppError('VALIDATION_FAILED', 'The pageToken is not one this service issued');
  return { conversationId: result.data[0], seq: result.data[1] };
}
