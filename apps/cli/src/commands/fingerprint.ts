import { fingerprint, publicBundle, safetyNumber } from '@im/crypto';
import type { Context } from '../cli/context.js';
import { CliError } from '../cli/errors.js';

export async function fingerprintCommand(ctx: Context, args: string[]): Promise<void> {
  const session = await ctx.session();
  const keys = await ctx.keys();
  const mine = publicBundle(keys.identity);
  const username = args[0];
  if (username === undefined) {
    const digits = fingerprint(mine);
    if (!ctx.interactive) return ctx.print(digits);
    ctx.print(`Your key fingerprint (${session.account.username}, key version ${mine.keyVersion}):`);
    ctx.print(`  ${ctx.out.bold(digits)}`);
    return;
  }
  const directory = await ctx.directory();
  const user = await directory.requireUser(username);
  if (user.id === session.userId)
    throw new CliError('that is you; `im fingerprint` without a name shows your own');
  const theirs = await keys.current(user.id);
  const number = safetyNumber(mine, theirs);
  if (!ctx.interactive) return ctx.print(number);
  const groups = number.split(' ');
  ctx.print(`Safety number for you (${session.account.username}) and ${user.username}:`);
  ctx.print('');
  ctx.print(`  ${ctx.out.bold(groups.slice(0, 6).join(' '))}`);
  ctx.print(`  ${ctx.out.bold(groups.slice(6).join(' '))}`);
  ctx.print('');
  ctx.print(`${user.username} sees the same number with \`im fingerprint ${session.account.username}\`.`);
  ctx.print('Compare them in person or on a call: if they match, nobody can read your messages in between.');
}
