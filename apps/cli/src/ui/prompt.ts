import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { CliError, ExitCode } from '../cli/errors.js';

/** A terminal input stream (process.stdin when it is a TTY). */
export interface TtyInput extends Readable {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const cancelled = () => new CliError('cancelled', { exitCode: ExitCode.interrupted });

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences (arrows, bracketed paste) are not part of a password
const ESCAPE_SEQUENCE = /\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)/g;

/**
 * Reads a secret from the terminal without echoing it: raw mode, so nothing is
 * shown (not even asterisks, which would give away its length). Backspace and
 * Ctrl-U edit; Ctrl-C cancels.
 */
export function readSecret(input: TtyInput, output: Writable, prompt: string): Promise<string> {
  if (!input.isTTY || !input.setRawMode) {
    return Promise.reject(
      new CliError('no terminal to ask for the password', {
        exitCode: ExitCode.usage,
        hint: 'pass --password-stdin and pipe the password in',
      }),
    );
  }
  const setRawMode = input.setRawMode.bind(input);
  return new Promise((resolve, reject) => {
    output.write(prompt);
    const wasRaw = input.isRaw === true;
    setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    let value = '';
    const finish = (error?: CliError) => {
      input.off('data', onData);
      setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk.replace(ESCAPE_SEQUENCE, '')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(cancelled());
        if (char === '\u0004') return value === '' ? finish(cancelled()) : finish();
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (char === '\u0015') value = '';
        else if (char >= ' ') value += char;
      }
    };
    input.on('data', onData);
  });
}

/** Asks a question on the terminal with echo (a username). */
export async function askLine(input: TtyInput, output: Writable, question: string): Promise<string> {
  if (!input.isTTY) {
    throw new CliError('no terminal to ask on', { exitCode: ExitCode.usage, hint: 'give it as an argument' });
  }
  const rl = createInterface({ input, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('SIGINT', () => reject(cancelled()));
      rl.once('close', () => reject(cancelled()));
      rl.question(question, resolve);
    });
  } finally {
    rl.close();
  }
}

/** Reads all of a stream as UTF-8 (standard input of `im send`, `--password-stdin`). */
export async function readAll(input: Readable, limitBytes = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limitBytes) throw new CliError(`standard input is longer than ${limitBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The first line of a text, without its line break (a password from `--password-stdin`). */
export function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}
