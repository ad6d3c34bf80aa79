import {
  AppError,
  type Conversation,
  type Member,
  type MessagePayload,
  type StoredMessage,
} from '@im/contracts';
import type { ConversationView } from '../repositories/conversations.js';
import type { MessageStore, Repositories } from '../repositories/store.js';
import type { ConversationRow, MemberRow } from '../repositories/types.js';
import { directKey, uuidv7 } from './ids.js';
import { toConversation, toMember, toStoredMessage } from './mapping.js';
import type { OutboxSignal } from './outbox-signal.js';

export interface ConversationServiceOptions {
  readonly store: MessageStore;
  /** Most members a group may have, its creator included. */
  readonly maxGroupMembers: number;
  /** Woken after membership changes so `conversation.updated.v1` leaves at once. */
  readonly outbox?: OutboxSignal | undefined;
}

export interface HistoryRequest {
  readonly before?: number | undefined;
  readonly after?: number | undefined;
  readonly limit: number;
}

type Change = MessagePayload<'conversation.updated.v1'>['change'];

/**
 * Conversations and membership, as the HTTP API offers them. Every read and
 * change checks that the caller is a member; a non-member gets
 * MSG_CONVERSATION_NOT_FOUND whether the conversation exists or not, so ids
 * cannot be probed. A former member reads nothing, history included.
 */
export class ConversationService {
  readonly #store: MessageStore;
  readonly #maxGroupMembers: number;
  readonly #outbox: OutboxSignal | undefined;

  constructor(options: ConversationServiceOptions) {
    this.#store = options.store;
    this.#maxGroupMembers = options.maxGroupMembers;
    this.#outbox = options.outbox;
  }

  /** The direct conversation of two users, created on first use. `created` says which. */
  async openDirect(me: string, other: string): Promise<{ conversation: Conversation; created: boolean }> {
    if (me === other) throw new AppError('VALIDATION_FAILED', 'A direct conversation needs another user');
    const key = directKey(me, other);
    const result = await this.#store.transaction(async (repos) => {
      const existing = await repos.conversations.findDirect(key);
      if (existing) return { id: existing.id, created: false };
      const id = uuidv7();
      await repos.conversations.create({
        id,
        kind: 'direct',
        title: null,
        directKey: key,
        createdBy: me,
        members: [
          { userId: me, role: 'member' },
          { userId: other, role: 'member' },
        ],
      });
      await this.#announce(repos, id, 'created', me, [me, other], [me, other]);
      return { id, created: true };
    });
    if (result.created) this.#outbox?.notify();
    return { conversation: await this.#view(result.id, me), created: result.created };
  }

  async createGroup(me: string, title: string, memberIds: readonly string[]): Promise<Conversation> {
    const others = [...new Set(memberIds)].filter((id) => id !== me);
    this.#checkSize(1 + others.length);
    const id = uuidv7();
    await this.#store.transaction(async (repos) => {
      await repos.conversations.create({
        id,
        kind: 'group',
        title,
        directKey: null,
        createdBy: me,
        members: [
          { userId: me, role: 'owner' },
          ...others.map((userId) => ({ userId, role: 'member' as const })),
        ],
      });
      await this.#announce(repos, id, 'created', me, [me, ...others], [me, ...others]);
    });
    this.#outbox?.notify();
    return this.#view(id, me);
  }

  async list(me: string): Promise<Conversation[]> {
    const views = await this.#store.repos.conversations.listForMember(me);
    return views.map(toConversation);
  }

  async get(me: string, id: string): Promise<Conversation> {
    return this.#view(id, me);
  }

  async members(me: string, id: string): Promise<Member[]> {
    await this.#requireMember(this.#store.repos, id, me);
    const members = await this.#store.repos.members.list(id);
    return members.map(toMember);
  }

  async rename(me: string, id: string, title: string): Promise<Conversation> {
    await this.#store.transaction(async (repos) => {
      const conversation = await this.#lockAsMember(repos, id, me);
      requireGroup(conversation);
      await repos.conversations.setTitle(id, title);
      await this.#announce(repos, id, 'renamed', me, await memberIds(repos, id), []);
    });
    this.#outbox?.notify();
    return this.#view(id, me);
  }

  /** Adds users to a group (any member may). Users already in it are skipped; nothing new, nothing announced. */
  async addMembers(me: string, id: string, userIds: readonly string[]): Promise<Conversation> {
    const added = await this.#store.transaction(async (repos) => {
      const conversation = await this.#lockAsMember(repos, id, me);
      requireGroup(conversation);
      const current = await memberIds(repos, id);
      const present = new Set(current);
      const fresh = [...new Set(userIds)].filter((userId) => !present.has(userId));
      if (fresh.length === 0) return 0;
      this.#checkSize(current.length + fresh.length);
      // They see what is sent from now on: messages before their join seq are not theirs.
      await repos.members.add(
        id,
        fresh.map((userId) => ({ userId, role: 'member' as const })),
        conversation.lastSeq,
      );
      await repos.conversations.touch(id);
      await this.#announce(repos, id, 'members_added', me, [...current, ...fresh], fresh);
      return fresh.length;
    });
    if (added > 0) this.#outbox?.notify();
    return this.#view(id, me);
  }

  /**
   * Removes another member from a group (the owner only); removing yourself is
   * leaving. The removed user stops receiving at once (deliveries are routed to
   * current members) and can no longer read the conversation at all.
   */
  async removeMember(me: string, id: string, userId: string): Promise<Conversation | null> {
    if (userId === me) {
      await this.leave(me, id);
      return null;
    }
    await this.#store.transaction(async (repos) => {
      const conversation = await this.#lockAsMember(repos, id, me);
      requireGroup(conversation);
      const mine = await repos.members.find(id, me);
      if (mine?.role !== 'owner')
        throw new AppError('AUTH_FORBIDDEN', 'Only the group owner removes members');
      if (!(await repos.members.remove(id, userId))) {
        throw new AppError('NOT_FOUND', 'That user is not a member of this conversation');
      }
      await repos.conversations.touch(id);
      await this.#announce(repos, id, 'member_removed', me, await memberIds(repos, id), [userId]);
    });
    this.#outbox?.notify();
    return this.#view(id, me);
  }

  /** Leaves a group. If the owner leaves, the longest-standing member becomes the owner. */
  async leave(me: string, id: string): Promise<void> {
    await this.#store.transaction(async (repos) => {
      const conversation = await this.#lockAsMember(repos, id, me);
      requireGroup(conversation);
      const mine = await repos.members.find(id, me);
      await repos.members.remove(id, me);
      const remaining = await repos.members.list(id);
      const heir = remaining[0];
      if (mine?.role === 'owner' && heir && !remaining.some((m) => m.role === 'owner')) {
        await repos.members.setRole(id, heir.userId, 'owner');
      }
      await repos.conversations.touch(id);
      await this.#announce(
        repos,
        id,
        'member_left',
        me,
        remaining.map((m) => m.userId),
        [me],
      );
    });
    this.#outbox?.notify();
  }

  /**
   * A page of history in ascending seq order: `after` reads forward (catching
   * up), `before` (or neither: the newest page) reads backward. A member sees
   * the messages after their join seq that retention has kept.
   */
  async history(
    me: string,
    id: string,
    request: HistoryRequest,
  ): Promise<{ messages: StoredMessage[]; hasMore: boolean }> {
    const repos = this.#store.repos;
    const member = await this.#requireMember(repos, id, me);
    const conversation = await repos.conversations.get(id);
    if (!conversation) throw notFound();
    const page = await repos.messages.history(id, {
      floorSeq: Math.max(member.joinSeq, conversation.purgedThroughSeq),
      ...(request.after === undefined ? {} : { afterSeq: request.after }),
      ...(request.before === undefined ? {} : { beforeSeq: request.before }),
      limit: request.limit,
    });
    return { messages: page.messages.map(toStoredMessage), hasMore: page.hasMore };
  }

  // ---- internal API (gateway, delivery worker) --------------------------------

  /** Current member ids; MSG_CONVERSATION_NOT_FOUND when there is no such conversation. */
  async memberIdsOf(id: string): Promise<string[]> {
    const conversation = await this.#store.repos.conversations.get(id);
    if (!conversation) throw notFound();
    return memberIds(this.#store.repos, id);
  }

  /** Everyone who shares a conversation with the user. */
  contactsOf(userId: string): Promise<string[]> {
    return this.#store.repos.members.contactsOf(userId);
  }

  // ---- helpers ------------------------------------------------------------------

  async #view(id: string, me: string): Promise<Conversation> {
    const view: ConversationView | null = await this.#store.repos.conversations.viewForMember(id, me);
    if (!view) throw notFound();
    return toConversation(view);
  }

  async #requireMember(repos: Repositories, id: string, me: string): Promise<MemberRow> {
    const member = await repos.members.find(id, me);
    if (!member) throw notFound();
    return member;
  }

  /** Locks the conversation row (membership changes and sends serialize on it) and checks membership. */
  async #lockAsMember(repos: Repositories, id: string, me: string): Promise<ConversationRow> {
    const [conversation] = await repos.conversations.lock([id]);
    if (!conversation) throw notFound();
    await this.#requireMember(repos, id, me);
    return conversation;
  }

  #checkSize(size: number): void {
    if (size > this.#maxGroupMembers) {
      throw new AppError(
        'MSG_GROUP_FULL',
        `A group has at most ${this.#maxGroupMembers} members (this would make ${size})`,
      );
    }
  }

  async #announce(
    repos: Repositories,
    conversationId: string,
    change: Change,
    actorId: string,
    members: readonly string[],
    affected: readonly string[],
  ): Promise<void> {
    await repos.outbox.enqueue([
      {
        eventId: uuidv7(),
        name: 'conversation.updated.v1',
        payload: {
          conversationId,
          change,
          actorId,
          memberIds: [...members],
          affectedUserIds: [...affected],
        } satisfies MessagePayload<'conversation.updated.v1'>,
      },
    ]);
  }
}

async function memberIds(repos: Repositories, id: string): Promise<string[]> {
  const members = await repos.members.list(id);
  return members.map((m) => m.userId);
}

function requireGroup(conversation: ConversationRow): void {
  if (conversation.kind !== 'group') throw new AppError('MSG_NOT_GROUP');
}

function notFound(): AppError {
  return new AppError('MSG_CONVERSATION_NOT_FOUND');
}
