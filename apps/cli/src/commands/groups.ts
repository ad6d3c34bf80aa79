import type { Conversation } from '@im/contracts';
import * as endpoints from '../api/endpoints.js';
import type { Context } from '../cli/context.js';
import { CliError } from '../cli/errors.js';
import type { Directory } from '../directory.js';
import { table } from '../ui/table.js';

export async function groupsListCommand(ctx: Context): Promise<void> {
  const session = await ctx.session();
  const directory = await ctx.directory();
  const groups = (await endpoints.conversations(session)).filter(
    (conversation) => conversation.kind === 'group',
  );
  await directory.learn(groups.flatMap((group) => group.members.map((member) => member.userId)));
  const members = (group: Conversation) =>
    group.members.map((member) => directory.name(member.userId)).sort();
  if (!ctx.interactive) {
    for (const group of groups) ctx.print([group.id, group.title ?? '', members(group).join(',')].join('\t'));
    return;
  }
  if (groups.length === 0) {
    ctx.note('You are in no groups. Create one: im groups create <title> [user...]');
    return;
  }
  ctx.print(
    table(
      ['GROUP', 'MEMBERS', 'UNREAD', 'ID'],
      groups.map((group) => [
        ctx.out.bold(directory.title(group)),
        members(group).join(', '),
        group.unreadCount > 0 ? ctx.out.yellow(String(group.unreadCount)) : '',
        ctx.out.dim(group.id),
      ]),
      ctx.out,
    ),
  );
}

export async function groupsCreateCommand(ctx: Context, args: string[]): Promise<void> {
  const [title = '', ...usernames] = args;
  const clean = title.replace(/^#/, '').trim();
  if (clean === '') throw new CliError('the group needs a title');
  const session = await ctx.session();
  const directory = await ctx.directory();
  const users = await usersNamed(directory, usernames, session.userId);
  const group = await endpoints.createGroup(
    session,
    clean,
    users.map((user) => user.id),
  );
  ctx.note(
    `Created ${directory.title(group)}${users.length ? ` with ${users.map((user) => user.username).join(', ')}` : ''}. ` +
      `Chat: im chat "${directory.title(group)}"`,
  );
}

export async function groupsAddCommand(ctx: Context, args: string[]): Promise<void> {
  const [target = '', ...usernames] = args;
  const session = await ctx.session();
  const directory = await ctx.directory();
  const group = await directory.group(target);
  const users = await usersNamed(directory, usernames, session.userId);
  const present = new Set(group.members.map((member) => member.userId));
  const fresh = users.filter((user) => !present.has(user.id));
  for (const user of users.filter((candidate) => present.has(candidate.id))) {
    ctx.note(`${user.username} is already in ${directory.title(group)}.`);
  }
  if (fresh.length === 0) return;
  await endpoints.addMembers(
    session,
    group.id,
    fresh.map((user) => user.id),
  );
  ctx.note(`Added ${fresh.map((user) => user.username).join(', ')} to ${directory.title(group)}.`);
}

export async function groupsRemoveCommand(ctx: Context, args: string[]): Promise<void> {
  const [target = '', ...usernames] = args;
  const session = await ctx.session();
  const directory = await ctx.directory();
  const group = await directory.group(target);
  const users = await usersNamed(directory, usernames, undefined);
  const present = new Set(group.members.map((member) => member.userId));
  for (const user of users) {
    if (!present.has(user.id)) throw new CliError(`${user.username} is not in ${directory.title(group)}`);
  }
  for (const user of users) {
    await endpoints.removeMember(session, group.id, user.id);
    ctx.note(
      user.id === session.userId
        ? `You left ${directory.title(group)}.`
        : `Removed ${user.username} from ${directory.title(group)}.`,
    );
  }
}

export async function groupsLeaveCommand(ctx: Context, args: string[]): Promise<void> {
  const session = await ctx.session();
  const directory = await ctx.directory();
  const group = await directory.group(args[0] ?? '');
  await endpoints.leave(session, group.id);
  ctx.note(`You left ${directory.title(group)}.`);
}

/** Users by name, failing on the first unknown one; `me` (when given) may not be among them. */
async function usersNamed(directory: Directory, usernames: readonly string[], me: string | undefined) {
  const users = await Promise.all(usernames.map((username) => directory.requireUser(username)));
  if (me && users.some((user) => user.id === me)) throw new CliError('you are a member already; name others');
  return [...new Map(users.map((user) => [user.id, user])).values()];
}
