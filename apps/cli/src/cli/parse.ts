import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import {
  type CommandName,
  type CommandSpec,
  commands,
  findCommand,
  globalOptions,
  groupWords,
} from './spec.js';

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export type Invocation =
  | { kind: 'help'; command: CommandSpec | undefined }
  | { kind: 'version' }
  | {
      kind: 'run';
      command: CommandName;
      args: string[];
      options: OptionValues;
      /** `--server`, wherever it was given. */
      server: string | undefined;
    };

/**
 * Parses `im [--server url] <command> [subcommand] [options] [args]`.
 * Throws UsageError (exit 2) with a message that names the mistake.
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const rest = [...argv];
  let server: string | undefined;
  // Options before the command word: only the global ones make sense there.
  while (rest[0]?.startsWith('-')) {
    const word = rest.shift()!;
    if (word === '-h' || word === '--help') return { kind: 'help', command: undefined };
    if (word === '-V' || word === '--version') return { kind: 'version' };
    if (word === '--server') {
      server = requireValue(rest.shift(), '--server', undefined);
    } else if (word.startsWith('--server=')) {
      server = requireValue(word.slice('--server='.length), '--server', undefined);
    } else {
      throw new UsageError(`unknown option ${word}`);
    }
  }
  const word = rest.shift();
  if (word === undefined) return { kind: 'help', command: undefined };
  if (word === 'help') {
    const topic = rest.join(' ');
    return { kind: 'help', command: topic ? (findCommand(topic) ?? unknownCommand(topic)) : undefined };
  }
  let name = word;
  if ((groupWords as readonly string[]).includes(word) && rest[0] !== undefined && !rest[0].startsWith('-')) {
    const sub = `${word} ${rest[0]}`;
    if (sub === 'devices list') {
      rest.shift();
    } else if (findCommand(sub)) {
      name = sub;
      rest.shift();
    } else {
      throw new UsageError(`unknown command \`im ${sub}\``, word);
    }
  }
  const command = findCommand(name) ?? unknownCommand(name);

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...globalOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error), command.name);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help', command };
  if (positionals.length < command.minArgs) {
    throw new UsageError(
      `missing ${command.args.split(' ')[positionals.length] ?? 'argument'}`,
      command.name,
    );
  }
  if (positionals.length > command.maxArgs) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[command.maxArgs])}`, command.name);
  }
  const serverOption = values.server;
  if (serverOption !== undefined) server = requireValue(String(serverOption), '--server', command.name);
  const options: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(values)) {
    // No option is declared `multiple`, so parseArgs gives no arrays here.
    if (!Array.isArray(value)) options[name] = value;
  }
  return { kind: 'run', command: command.name as CommandName, args: positionals, options, server };
}

function requireValue(value: string | undefined, option: string, command: string | undefined): string {
  if (value === undefined || value === '' || value.startsWith('-')) {
    throw new UsageError(`${option} needs a value`, command);
  }
  return value;
}

function unknownCommand(name: string): never {
  const known = commands.map((command) => command.name.split(' ')[0]);
  const suggestion = known.find((candidate) => candidate !== undefined && editDistance(candidate, name) <= 2);
  throw new UsageError(
    `unknown command \`${name}\`${suggestion ? ` (did you mean \`${suggestion}\`?)` : ''}`,
    undefined,
  );
}

/** parseArgs throws TypeErrors with Node-specific wording; keep the useful part. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  return message.split('.')[0] ?? message;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Reads a string option; undefined when absent. */
export function stringOption(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

export function flagOption(options: OptionValues, name: string): boolean {
  return options[name] === true;
}

/** A positive number of seconds, as milliseconds. */
export function secondsOption(
  options: OptionValues,
  name: string,
  defaultSeconds: number,
  command: string,
): number {
  const raw = stringOption(options, name);
  if (raw === undefined) return defaultSeconds * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(
      `--${name} must be a positive number of seconds, not ${JSON.stringify(raw)}`,
      command,
    );
  }
  return Math.round(seconds * 1000);
}
