import { describe, expect, it } from 'vitest';
import { createStyle } from '../ui/color.js';
import { UsageError } from './errors.js';
import { commandHelp, mainHelp } from './help.js';
import { editDistance, parseCommandLine, secondsOption } from './parse.js';
import { commands } from './spec.js';

function run(argv: string[]) {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'run') throw new Error(`expected a command, got ${parsed.kind}`);
  return parsed;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('parses a command with its arguments', () => {
    expect(run(['send', 'bob', 'hello', 'there'])).toMatchObject({
      command: 'send',
      args: ['bob', 'hello', 'there'],
      server: undefined,
    });
  });

  it('takes --server before or after the command word', () => {
    expect(run(['--server', 'http://a:1', 'tail']).server).toBe('http://a:1');
    expect(run(['--server=http://a:1', 'tail']).server).toBe('http://a:1');
    expect(run(['tail', '--server', 'http://b:2']).server).toBe('http://b:2');
  });

  it('parses boolean and string options', () => {
    expect(run(['tail', '--json']).options.json).toBe(true);
    expect(run(['send', 'bob', '--timeout', '3', 'hi']).options.timeout).toBe('3');
    expect(run(['login', 'alice', '--password-stdin']).options['password-stdin']).toBe(true);
  });

  it('keeps text that looks like an option after --', () => {
    expect(run(['send', 'bob', '--', '-1 for that']).args).toEqual(['bob', '-1 for that']);
  });

  it('resolves subcommands', () => {
    expect(run(['groups', 'create', 'team', 'bob', 'carol'])).toMatchObject({
      command: 'groups create',
      args: ['team', 'bob', 'carol'],
    });
    expect(run(['groups']).command).toBe('groups');
    expect(run(['groups', 'list']).command).toBe('groups list');
    expect(run(['devices']).command).toBe('devices');
    expect(run(['devices', 'list']).command).toBe('devices');
    expect(run(['devices', 'revoke', 'abc']).args).toEqual(['abc']);
  });

  it('answers --help, -h and `help <command>` with the command spec', () => {
    for (const argv of [
      ['send', '--help'],
      ['send', '-h'],
      ['help', 'send'],
    ]) {
      const parsed = parseCommandLine(argv);
      expect(parsed.kind).toBe('help');
      expect(parsed.kind === 'help' && parsed.command?.name).toBe('send');
    }
    const sub = parseCommandLine(['groups', 'add', '--help']);
    expect(sub.kind === 'help' && sub.command?.name).toBe('groups add');
    expect(parseCommandLine([])).toEqual({ kind: 'help', command: undefined });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });

  it('explains usage mistakes and points to the right help', () => {
    expect(usageError(['sned', 'bob']).message).toBe('unknown command `sned` (did you mean `send`?)');
    expect(usageError(['send']).message).toBe('missing <user|group>');
    expect(usageError(['send']).hint).toBe('run `im send --help` for usage');
    expect(usageError(['chat', 'bob', 'alice']).message).toBe('unexpected argument "alice"');
    expect(usageError(['tail', '--jsn']).message).toBe('unknown option --jsn');
    expect(usageError(['send', 'bob', '--timeout']).message).toBe('--timeout needs a value');
    expect(usageError(['groups', 'rename', 'x']).message).toBe('unknown command `im groups rename`');
    expect(usageError(['--server']).message).toBe('--server needs a value');
    expect(usageError(['--frobnicate']).message).toBe('unknown option --frobnicate');
    expect(usageError(['send']).exitCode).toBe(2);
  });

  it('validates a seconds option', () => {
    expect(secondsOption({ timeout: '2.5' }, 'timeout', 15, 'send')).toBe(2500);
    expect(secondsOption({}, 'timeout', 15, 'send')).toBe(15_000);
    expect(() => secondsOption({ timeout: 'soon' }, 'timeout', 15, 'send')).toThrow(
      '--timeout must be a positive number of seconds, not "soon"',
    );
    expect(() => secondsOption({ timeout: '0' }, 'timeout', 15, 'send')).toThrow(UsageError);
  });

  it('measures edit distance', () => {
    expect(editDistance('send', 'send')).toBe(0);
    expect(editDistance('sned', 'send')).toBe(2);
    expect(editDistance('tial', 'tail')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('help', () => {
  const plain = createStyle(false);

  it('has usage, options and examples for every command', () => {
    for (const command of commands) {
      const text = commandHelp(command, plain);
      expect(text).toContain(`Usage: im ${command.name}`);
      expect(text).toContain('--server <url>');
      expect(text).toContain('-h, --help');
      for (const option of Object.keys(command.options)) expect(text).toContain(`--${option}`);
      for (const example of command.examples) expect(text).toContain(example);
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(110);
    }
  });

  it('lists every command in the main help', () => {
    const text = mainHelp(plain, '1.2.3');
    expect(text).toContain('im 1.2.3');
    for (const command of commands) expect(text).toContain(`  ${command.name} `);
    expect(text).toContain('NO_COLOR');
    expect(text).toContain('IM_SERVER');
  });

  it('writes no escape sequences without colour', () => {
    expect(mainHelp(plain, '1')).not.toContain('\x1b');
    expect(mainHelp(createStyle(true), '1')).toContain('\x1b[1m');
  });
});
