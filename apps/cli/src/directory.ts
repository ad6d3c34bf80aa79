import type { Conversation, PublicUser } from '@im/contracts';
import * as endpoints from './api/endpoints.js';
import { isApiError } from './api/http.js';
import type { Session } from './api/session.js';
import { CliError } from './cli/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Names ↔ ids: finds users by username and conversations by what a person
 * types (`bob`, `#team`, an id), and remembers usernames for display.
 */
export class Directory {
  readonly #session: Session;
  readonly #lookups = new Map<string, Promise<string>>();

  constructor(session: Session) {
    this.#session = session;
  }

  /** The user with exactly this username (case-insensitive), or undefined. */
  async findUser(username: string): Promise<PublicUser | undefined> {
    if (!/^[a-zA-Z0-9_.-]{1,32}$/.test(username)) return undefined;
    const users = await endpoints.searchUsers(this.#session, username, 50);
    const user = users.find((candidate) => candidate.username.toLowerCase() === username.toLowerCase());
    if (user) await this.#learn([user]);
    return user;
  }

  async requireUser(username: string): Promise<PublicUser> {
    const user = await this.findUser(username);
    if (!user) throw new CliError(`no user named ${JSON.stringify(username)}`);
    return user;
  }

  /** A username for display; the start of the id when it cannot be found out. */
  name(userId: string): string {
    if (userId === this.#session.userId) return this.#session.account.username;
    return this.#session.account.usernames[userId] ?? userId.slice(0, 8);
  }

  /** Makes sure `name()` knows these users (asks the server for the ones it has not seen). */
  async learn(userIds: Iterable<string>): Promise<void> {
    const known = this.#session.account.usernames;
    const missing = [...new Set(userIds)].filter(
      (userId) => userId !== this.#session.userId && !known[userId],
    );
    const found = await Promise.all(missing.map((userId) => this.#lookup(userId)));
    await this.#learn(
      found.flatMap((username, index) => (username ? [{ id: missing[index]!, username }] : [])),
    );
  }

  #lookup(userId: string): Promise<string> {
    let lookup = this.#lookups.get(userId);
    if (!lookup) {
      lookup = endpoints.user(this.#session, userId).then(
        (user) => user.username,
        (error: unknown) => {
          // An unknown (deleted) user or an older server without the endpoint: show the id instead.
          if (isApiError(error) && error.status === 404) return '';
          throw error;
        },
      );
      this.#lookups.set(userId, lookup);
    }
    return lookup;
  }

  async #learn(users: readonly PublicUser[]): Promise<void> {
    const known = this.#session.account.usernames;
    const fresh = users.filter((user) => known[user.id] !== user.username);
    if (fresh.length === 0) return;
    await this.#session.remember((account) => {
      for (const user of fresh) account.usernames[user.id] = user.username;
    });
  }

  /** `bob` for a direct chat, `#team` for a group. */
  title(conversation: Conversation): string {
    if (conversation.kind === 'group') return `#${conversation.title ?? conversation.id.slice(0, 8)}`;
    const other = conversation.members.find((member) => member.userId !== this.#session.userId);
    return other ? this.name(other.userId) : this.#session.account.username;
  }

  /**
   * What `im chat X` and `im send X` talk to: `#title` is a group; an id is
   * that conversation; a name is the user of that name (the direct chat with
   * them, created if new), else a group of that title.
   */
  async conversationFor(target: string): Promise<Conversation> {
    if (UUID.test(target)) return this.#conversationById(target);
    if (target.startsWith('#')) return this.group(target);
    const user = await this.findUser(target);
    if (user) {
      if (user.id === this.#session.userId) throw new CliError('that is you; name someone else');
      return endpoints.openDirect(this.#session, user.id);
    }
    const group = await this.#groupByTitle(target);
    if (group) return group;
    throw new CliError(`no user or group named ${JSON.stringify(target)}`, {
      hint: 'check the spelling; `im groups` lists your groups',
    });
  }

  /** A group of mine by title (with or without `#`) or id. */
  async group(target: string): Promise<Conversation> {
    if (UUID.test(target)) {
      const conversation = await this.#conversationById(target);
      if (conversation.kind !== 'group') throw new CliError(`${target} is a direct chat, not a group`);
      return conversation;
    }
    const group = await this.#groupByTitle(target.replace(/^#/, ''));
    if (!group) {
      throw new CliError(`you are in no group named ${JSON.stringify(target.replace(/^#/, ''))}`, {
        hint: '`im groups` lists your groups',
      });
    }
    return group;
  }

  async #groupByTitle(title: string): Promise<Conversation | undefined> {
    const all = await endpoints.conversations(this.#session);
    const matches = all.filter(
      (conversation) =>
        conversation.kind === 'group' && conversation.title?.toLowerCase() === title.toLowerCase(),
    );
    if (matches.length > 1) {
      throw new CliError(`you are in ${matches.length} groups named ${JSON.stringify(title)}`, {
        hint: `name one by its id: ${matches.map((group) => group.id).join(', ')}`,
      });
    }
    return matches[0];
  }

  async #conversationById(conversationId: string): Promise<Conversation> {
    try {
      return await endpoints.conversation(this.#session, conversationId.toLowerCase());
    } catch (error) {
      if (isApiError(error) && (error.status === 404 || error.status === 403)) {
        throw new CliError(`no conversation ${conversationId} that you are in`);
      }
      throw error;
    }
  }
}
