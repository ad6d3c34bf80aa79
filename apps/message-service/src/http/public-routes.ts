import type { Verifier } from '@im/auth-client';
import {
  AddMembersBody,
  Conversation,
  ConversationList,
  ConversationParams,
  CreateDirectBody,
  CreateGroupBody,
  ErrorBody,
  HistoryPage,
  HistoryQuery,
  MemberList,
  MemberParams,
  PresenceList,
  PresenceQuery,
  RenameBody,
} from '@im/contracts';
import type { ZodTypeProvider } from '@im/service';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConversationService } from '../domain/conversations.js';
import { queryPresence } from '../domain/presence.js';
import type { MessageStore } from '../repositories/store.js';
import { identityOf, requireBearer } from './auth.js';

export interface PublicRoutesOptions {
  verifier: Verifier;
  store: MessageStore;
  conversations: ConversationService;
  presenceExpiryMs: number;
}

const security = [{ bearer: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } as const;
const NoContent = z.null().describe('No content');

/** The public HTTP API (bearer access token): conversations, members, history, presence. */
export async function publicRoutes(app: FastifyInstance, options: PublicRoutesOptions): Promise<void> {
  requireBearer(app, options.verifier);
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const { conversations } = options;

  typed.post(
    '/v1/conversations/direct',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Get or create the direct conversation with a user',
        description: 'Answers 201 when it was created now, 200 when it existed.',
        security,
        body: CreateDirectBody,
        response: { 200: Conversation, 201: Conversation, ...errors },
      },
    },
    async (request, reply) => {
      const me = identityOf(request).userId;
      const { conversation, created } = await conversations.openDirect(me, request.body.userId);
      return reply.status(created ? 201 : 200).send(conversation);
    },
  );

  typed.post(
    '/v1/conversations/groups',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Create a group; the caller is its owner',
        description: 'MSG_GROUP_FULL (409) when the members, the caller included, exceed the limit.',
        security,
        body: CreateGroupBody,
        response: { 201: Conversation, 409: ErrorBody, ...errors },
      },
    },
    async (request, reply) => {
      const me = identityOf(request).userId;
      const conversation = await conversations.createGroup(me, request.body.title, request.body.memberIds);
      return reply.status(201).send(conversation);
    },
  );

  typed.get(
    '/v1/conversations',
    {
      schema: {
        tags: ['conversations'],
        summary: 'My conversations, most recently active first, with last message and unread count',
        security,
        response: { 200: ConversationList, 401: ErrorBody },
      },
    },
    async (request) => ({ conversations: await conversations.list(identityOf(request).userId) }),
  );

  typed.get(
    '/v1/conversations/:id',
    {
      schema: {
        tags: ['conversations'],
        summary: 'One conversation with its members and their delivered/read cursors',
        description: 'MSG_CONVERSATION_NOT_FOUND (404) for a non-member, whether it exists or not.',
        security,
        params: ConversationParams,
        response: { 200: Conversation, ...errors },
      },
    },
    async (request) => conversations.get(identityOf(request).userId, request.params.id),
  );

  typed.patch(
    '/v1/conversations/:id',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Rename a group (any member)',
        security,
        params: ConversationParams,
        body: RenameBody,
        response: { 200: Conversation, 409: ErrorBody, ...errors },
      },
    },
    async (request) =>
      conversations.rename(identityOf(request).userId, request.params.id, request.body.title),
  );

  typed.get(
    '/v1/conversations/:id/members',
    {
      schema: {
        tags: ['members'],
        summary: 'Members with their delivered/read cursors, in join order',
        security,
        params: ConversationParams,
        response: { 200: MemberList, ...errors },
      },
    },
    async (request) => ({
      members: await conversations.members(identityOf(request).userId, request.params.id),
    }),
  );

  typed.post(
    '/v1/conversations/:id/members',
    {
      schema: {
        tags: ['members'],
        summary: 'Add users to a group (any member)',
        description:
          'Users already in it are skipped. New members see the messages sent after they joined. ' +
          'MSG_GROUP_FULL (409) past the limit; MSG_NOT_GROUP (409) on a direct conversation.',
        security,
        params: ConversationParams,
        body: AddMembersBody,
        response: { 200: Conversation, 409: ErrorBody, ...errors },
      },
    },
    async (request) =>
      conversations.addMembers(identityOf(request).userId, request.params.id, request.body.userIds),
  );

  typed.delete(
    '/v1/conversations/:id/members/:userId',
    {
      schema: {
        tags: ['members'],
        summary: 'Remove a member from a group (the owner only); removing yourself is leaving',
        description:
          'The removed user stops receiving at once and can no longer read the conversation. ' +
          'Answers the conversation, or 204 when you removed yourself.',
        security,
        params: MemberParams,
        response: { 200: Conversation, 204: NoContent, 403: ErrorBody, 409: ErrorBody, ...errors },
      },
    },
    async (request, reply) => {
      const me = identityOf(request).userId;
      const conversation = await conversations.removeMember(me, request.params.id, request.params.userId);
      return conversation ? reply.send(conversation) : reply.status(204).send(null);
    },
  );

  typed.post(
    '/v1/conversations/:id/leave',
    {
      schema: {
        tags: ['members'],
        summary: 'Leave a group',
        description:
          'If the owner leaves, the longest-standing member becomes the owner. ' +
          'Direct conversations cannot be left (MSG_NOT_GROUP).',
        security,
        params: ConversationParams,
        response: { 204: NoContent, 409: ErrorBody, ...errors },
      },
    },
    async (request, reply) => {
      await conversations.leave(identityOf(request).userId, request.params.id);
      return reply.status(204).send(null);
    },
  );

  typed.get(
    '/v1/conversations/:id/messages',
    {
      schema: {
        tags: ['messages'],
        summary: 'History by seq',
        description:
          '`after=N`: the messages after seq N, oldest first (catching up, filling a gap). ' +
          '`before=N` (or neither: the newest): the messages before seq N, scrolling back. ' +
          'Pages are always in ascending seq order. A member sees what was sent after they joined.',
        security,
        params: ConversationParams,
        querystring: HistoryQuery,
        response: { 200: HistoryPage, ...errors },
      },
    },
    async (request) =>
      conversations.history(identityOf(request).userId, request.params.id, {
        before: request.query.before,
        after: request.query.after,
        limit: request.query.limit,
      }),
  );

  typed.get(
    '/v1/presence',
    {
      schema: {
        tags: ['presence'],
        summary: 'Online status and last seen of users who share a conversation with you',
        description: 'Users you share no conversation with are left out of the answer.',
        security,
        querystring: PresenceQuery,
        response: { 200: PresenceList, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => ({
      presence: await queryPresence({
        store: options.store,
        me: identityOf(request).userId,
        userIds: request.query.userIds,
        expiryMs: options.presenceExpiryMs,
      }),
    }),
  );
}
