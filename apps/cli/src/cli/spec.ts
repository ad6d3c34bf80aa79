/** Every command of `im`: its arguments, options and help text. One table drives parsing and --help. */

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help for a string option. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  /** `send`, `groups create` … */
  readonly name: string;
  /** The positional arguments as shown in usage: `<user|group> [text...]`. */
  readonly args: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly summary: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** Extra usage lines (`echo hi | im send bob`). */
  readonly moreUsage?: readonly string[];
}

/** Options every command accepts. */
export const globalOptions = {
  server: {
    type: 'string',
    value: 'url',
    description:
      'server to talk to (env IM_SERVER; default: the one you logged in to, else http://localhost:8080)',
  },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const satisfies Record<string, OptionSpec>;

const passwordStdin: OptionSpec = {
  type: 'boolean',
  description: 'read the password from the first line of standard input (for scripts)',
};
const deviceName: OptionSpec = {
  type: 'string',
  value: 'name',
  description: 'name of this device in `im devices` (default: "im on <hostname>")',
};

export const commands = [
  {
    name: 'register',
    args: '[username]',
    minArgs: 0,
    maxArgs: 1,
    summary: 'create an account and log in',
    description:
      'Creates the account, logs in, generates your encryption keys on this machine and uploads them ' +
      'sealed under your password, so that your other devices can restore them.',
    options: { 'password-stdin': passwordStdin, 'device-name': deviceName },
    examples: ['im register alice', 'printf \'%s\\n\' "$PASS" | im register alice --password-stdin'],
  },
  {
    name: 'login',
    args: '[username]',
    minArgs: 0,
    maxArgs: 1,
    summary: 'log in on this machine (restores your keys from their backup)',
    description:
      'The password is read from the terminal without echo. Your private keys are restored from the ' +
      'backup sealed under your password (or created and backed up if you have none yet).',
    options: { 'password-stdin': passwordStdin, 'device-name': deviceName },
    examples: ['im login alice', 'im login alice --server https://im.example.org'],
  },
  {
    name: 'logout',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    summary: 'end this session and forget its credentials and keys on this machine',
    options: {},
    examples: ['im logout'],
  },
  {
    name: 'whoami',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    summary: 'show who you are logged in as, where, and your key fingerprint',
    options: {},
    examples: ['im whoami'],
  },
  {
    name: 'devices',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    summary: 'list the devices (sessions) logged in to your account',
    options: {},
    examples: ['im devices'],
  },
  {
    name: 'devices revoke',
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    summary: 'log a device out (any unique prefix of its id will do)',
    options: {},
    examples: ['im devices revoke 3f2a'],
  },
  {
    name: 'chat',
    args: '<user|group>',
    minArgs: 1,
    maxArgs: 1,
    summary: 'open an interactive chat with a user or a group',
    description:
      'Shows the history, live messages with their status (◷ pending, ✓ sent, ✓✓ delivered, ✓✓ seen = read), ' +
      'who is typing, presence and the connection state. Type and press Enter to send; /help lists the ' +
      'commands. When standard output is not a terminal, messages are printed as plain lines and each line ' +
      'of standard input is sent.',
    options: {},
    examples: ['im chat bob', 'im chat "#team"'],
  },
  {
    name: 'send',
    args: '<user|group> [text...]',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    summary: 'send one message; exits 0 only once the server has stored it',
    description:
      'Without text, the message is read from standard input. Exit status: 0 sent (stored by the server), ' +
      '1 refused (no such user or group, not a member …), 3 server unreachable or no confirmation in time, ' +
      '4 not logged in.',
    options: {
      timeout: {
        type: 'string',
        value: 'seconds',
        description: 'how long to wait for the server (default 15)',
      },
    },
    moreUsage: ['echo text | im send <user|group>'],
    examples: ['im send bob "see you at 8"', 'uptime | im send "#ops"'],
  },
  {
    name: 'tail',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    summary: 'print incoming messages as they arrive (first the ones you missed)',
    options: {
      json: { type: 'boolean', description: 'one JSON object per line' },
      own: { type: 'boolean', description: 'also print the messages you send from your other devices' },
    },
    examples: ['im tail', 'im tail --json | jq -r .text'],
  },
  {
    name: 'groups',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    summary: 'list your groups (same as `im groups list`)',
    options: {},
    examples: ['im groups'],
  },
  {
    name: 'groups list',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    summary: 'list your groups and their members',
    options: {},
    examples: ['im groups list'],
  },
  {
    name: 'groups create',
    args: '<title> [user...]',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    summary: 'create a group with you and these users',
    options: {},
    examples: ['im groups create team bob carol'],
  },
  {
    name: 'groups add',
    args: '<group> <user...>',
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    summary: 'add users to a group',
    options: {},
    examples: ['im groups add team dave'],
  },
  {
    name: 'groups remove',
    args: '<group> <user...>',
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    summary: 'remove users from a group',
    options: {},
    examples: ['im groups remove team dave'],
  },
  {
    name: 'groups leave',
    args: '<group>',
    minArgs: 1,
    maxArgs: 1,
    summary: 'leave a group',
    options: {},
    examples: ['im groups leave team'],
  },
  {
    name: 'fingerprint',
    args: '[user]',
    minArgs: 0,
    maxArgs: 1,
    summary: "show the safety number you share with a user (or your own key's fingerprint)",
    description:
      'Compare the safety number with the other person over another channel (in person, a call). If it ' +
      'matches on both sides, nobody is in the middle. `im` remembers the keys it has seen and warns when a ' +
      "contact's keys change.",
    options: {},
    examples: ['im fingerprint bob', 'im fingerprint'],
  },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof commands)[number]['name'];

/** Commands that take a subcommand word (`im groups create …`). */
export const groupWords = ['groups', 'devices'] as const;

export function findCommand(name: string): CommandSpec | undefined {
  return (commands as readonly CommandSpec[]).find((command) => command.name === name);
}
