import { readFileSync } from 'node:fs';
import { chatCommand } from './chat/command.js';
import { Context, type Io, processIo } from './cli/context.js';
import { commandHelp, mainHelp } from './cli/help.js';
import { type OptionValues, parseCommandLine } from './cli/parse.js';
import { describeFailure } from './cli/report.js';
import type { CommandName } from './cli/spec.js';
import { loginCommand, logoutCommand, registerCommand, whoamiCommand } from './commands/account.js';
import { devicesCommand, revokeCommand } from './commands/devices.js';
import { fingerprintCommand } from './commands/fingerprint.js';
import {
  groupsAddCommand,
  groupsCreateCommand,
  groupsLeaveCommand,
  groupsListCommand,
  groupsRemoveCommand,
} from './commands/groups.js';
import { sendCommand } from './commands/send.js';
import { tailCommand } from './commands/tail.js';
import { colorEnabled, createStyle } from './ui/color.js';

type Handler = (ctx: Context, args: string[], options: OptionValues) => Promise<void>;

const handlers: Record<CommandName, Handler> = {
  register: registerCommand,
  login: loginCommand,
  logout: logoutCommand,
  whoami: whoamiCommand,
  devices: devicesCommand,
  'devices revoke': revokeCommand,
  chat: chatCommand,
  send: sendCommand,
  tail: tailCommand,
  groups: groupsListCommand,
  'groups list': groupsListCommand,
  'groups create': groupsCreateCommand,
  'groups add': groupsAddCommand,
  'groups remove': groupsRemoveCommand,
  'groups leave': groupsLeaveCommand,
  fingerprint: fingerprintCommand,
};

export function version(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return typeof manifest === 'object' && manifest !== null && 'version' in manifest
    ? String(manifest.version)
    : '?';
}

/** Runs `im` with these arguments; resolves with the exit status. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const out = createStyle(colorEnabled(io.stdout, io.env));
  const err = createStyle(colorEnabled(io.stderr, io.env));
  try {
    const invocation = parseCommandLine(argv);
    switch (invocation.kind) {
      case 'version':
        io.stdout.write(`im ${version()}\n`);
        return 0;
      case 'help':
        io.stdout.write(invocation.command ? commandHelp(invocation.command, out) : mainHelp(out, version()));
        return 0;
      case 'run': {
        const ctx = await Context.create(io, invocation.server);
        await handlers[invocation.command](ctx, invocation.args, invocation.options);
        return 0;
      }
    }
  } catch (error) {
    const failure = describeFailure(error, err, io.env);
    io.stderr.write(failure.text);
    return failure.exitCode;
  }
}
