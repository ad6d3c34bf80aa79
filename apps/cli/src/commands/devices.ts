import type { SessionInfo } from '@im/contracts';
import * as endpoints from '../api/endpoints.js';
import type { Context } from '../cli/context.js';
import { CliError } from '../cli/errors.js';
import { localDateTime, relativeTime } from '../ui/format.js';
import { table } from '../ui/table.js';

export async function devicesCommand(ctx: Context): Promise<void> {
  const session = await ctx.session();
  const list = await endpoints.sessions(session);
  list.sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt));
  if (!ctx.interactive) {
    for (const device of list) {
      ctx.print(
        [
          device.id,
          device.deviceName,
          device.createdAt,
          device.lastUsedAt,
          device.current ? 'current' : '',
        ].join('\t'),
      );
    }
    return;
  }
  const now = new Date();
  ctx.print(
    table(
      ['', 'ID', 'DEVICE', 'LAST ACTIVE', 'LOGGED IN'],
      list.map((device) => [
        device.current ? ctx.out.green('*') : ' ',
        device.id.slice(0, 8),
        device.current ? `${device.deviceName} ${ctx.out.dim('(this one)')}` : device.deviceName,
        relativeTime(new Date(device.lastUsedAt), now),
        localDateTime(new Date(device.createdAt)).slice(0, 16),
      ]),
      ctx.out,
    ),
  );
}

export async function revokeCommand(ctx: Context, args: string[]): Promise<void> {
  const prefix = (args[0] ?? '').toLowerCase();
  const session = await ctx.session();
  const device = pick(await endpoints.sessions(session), prefix);
  if (device.current) {
    throw new CliError('that is this device', { hint: 'use `im logout` to log this device out' });
  }
  await endpoints.revokeSession(session, device.id);
  ctx.note(`Logged out "${device.deviceName}" (${device.id}).`);
}

function pick(list: SessionInfo[], prefix: string): SessionInfo {
  const matches = list.filter((device) => device.id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new CliError(`no device with an id starting with ${JSON.stringify(prefix)}`);
  throw new CliError(`${matches.length} devices have ids starting with ${JSON.stringify(prefix)}`, {
    hint: 'give more of the id',
  });
}
