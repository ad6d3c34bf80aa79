import {
  ContactList,
  ConversationParams,
  DeviceParams,
  ErrorBody,
  MemberIdList,
  PendingPage,
  PendingQuery,
  UserParams,
} from '@im/contracts';
import type { ZodTypeProvider } from '@im/service';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConversationService } from '../domain/conversations.js';
import { pendingPage } from '../domain/pending.js';
import type { MessageStore } from '../repositories/store.js';
import { requireInternalToken } from './auth.js';

export interface InternalRoutesOptions {
  internalToken: string;
  store: MessageStore;
  conversations: ConversationService;
}

const InternalHeaders = z.object({ 'x-internal-token': z.string().describe('The shared INTERNAL_TOKEN') });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody } as const;

/** Service-to-service endpoints (gateway, delivery worker), behind the shared internal token. */
export async function internalRoutes(app: FastifyInstance, options: InternalRoutesOptions): Promise<void> {
  requireInternalToken(app, options.internalToken);
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/internal/v1/devices/:deviceId/pending',
    {
      schema: {
        tags: ['internal'],
        summary: "A page of a device's offline queue (what it has not acked), in (conversation, seq) order",
        description:
          'Call without pageToken first: that call also settles the cursors and may answer ' +
          "`resync: 'new_device'` (cursors created at the present, nothing to drain) or " +
          "`resync: 'retention'`. Then pass each page's nextPageToken until it is null.",
        headers: InternalHeaders,
        params: DeviceParams,
        querystring: PendingQuery,
        response: { 200: PendingPage, ...errors },
      },
    },
    async (request) =>
      pendingPage(options.store, {
        deviceId: request.params.deviceId,
        userId: request.query.userId,
        limit: request.query.limit,
        pageToken: request.query.pageToken,
      }),
  );

  typed.get(
    '/internal/v1/conversations/:id/members',
    {
      schema: {
        tags: ['internal'],
        summary: 'Current member ids of a conversation',
        headers: InternalHeaders,
        params: ConversationParams,
        response: { 200: MemberIdList, 404: ErrorBody, ...errors },
      },
    },
    async (request) => ({ memberIds: await options.conversations.memberIdsOf(request.params.id) }),
  );

  typed.get(
    '/internal/v1/users/:id/contacts',
    {
      schema: {
        tags: ['internal'],
        summary: 'Everyone who shares a conversation with the user',
        headers: InternalHeaders,
        params: UserParams,
        response: { 200: ContactList, ...errors },
      },
    },
    async (request) => ({ userIds: await options.conversations.contactsOf(request.params.id) }),
  );
}
