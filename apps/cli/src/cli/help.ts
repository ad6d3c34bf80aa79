import type { Style } from '../ui/color.js';
import { wrapText } from '../ui/text.js';
import { type CommandSpec, commands, globalOptions, type OptionSpec } from './spec.js';

const WIDTH = 80;

export function commandHelp(command: CommandSpec, style: Style): string {
  const lines: string[] = [];
  lines.push(`${style.bold(`im ${command.name}`)} — ${command.summary}`, '');
  const usage = [
    `im ${command.name}${command.args ? ` ${command.args}` : ''} [options]`,
    ...(command.moreUsage ?? []),
  ];
  lines.push(`${style.bold('Usage:')} ${usage[0]}`);
  for (const more of usage.slice(1)) lines.push(`       ${more}`);
  if (command.description) lines.push('', ...wrapText(command.description, WIDTH));
  lines.push('', style.bold('Options:'), ...optionLines({ ...command.options, ...globalOptions }));
  if (command.examples.length > 0) {
    lines.push('', style.bold('Examples:'), ...command.examples.map((example) => `  ${example}`));
  }
  return `${lines.join('\n')}\n`;
}

export function mainHelp(style: Style, version: string): string {
  const width = Math.max(...commands.map((command) => `${command.name} ${command.args}`.length));
  const lines = [
    `${style.bold('im')} ${version} — end-to-end encrypted chat in your terminal`,
    '',
    `${style.bold('Usage:')} im [--server url] <command> [options]`,
    '',
    style.bold('Commands:'),
    ...commands.map((command) => `  ${`${command.name} ${command.args}`.padEnd(width)}  ${command.summary}`),
    '',
    style.bold('Options:'),
    ...optionLines({
      ...globalOptions,
      version: { type: 'boolean', short: 'V', description: 'print the version' },
    }),
    '',
    style.bold('Environment:'),
    '  IM_SERVER         server URL (like --server)',
    '  XDG_CONFIG_HOME   credentials live in $XDG_CONFIG_HOME/im (default ~/.config/im), mode 0600',
    '  NO_COLOR          no colours when set',
    '',
    style.bold('Exit status:'),
    '  0 ok · 1 refused or failed · 2 wrong usage · 3 server unreachable · 4 not logged in',
    '',
    'Run `im <command> --help` for the options and examples of one command.',
  ];
  return `${lines.join('\n')}\n`;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const entries = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.flatMap(([flag, description]) => {
    const [first, ...more] = wrapText(description, WIDTH - width - 4);
    return [
      `  ${flag.padEnd(width)}  ${first ?? ''}`,
      ...more.map((line) => `  ${' '.repeat(width)}  ${line}`),
    ];
  });
}
