import { createInterface } from 'node:readline';
import type { Context } from '../cli/context.js';
import { CliError, ExitCode } from '../cli/errors.js';
import { untilInterrupted } from '../commands/lifecycle.js';
import { localDateTime } from '../ui/format.js';
import { sanitize } from '../ui/text.js';
import type { ChatController } from './controller.js';

/** How long, after standard input ends, to wait for the last messages to be stored. */
const DRAIN_TIMEOUT_MS = 15_000;

/**
 * `im chat` without a terminal: every message of the conversation (history,
 * then live) is printed as a plain line, each line of standard input is sent,
 * and notes go to standard error. Ends when standard input ends (once what was
 * sent is stored) or on Ctrl-C.
 */
export async function runPlain(ctx: Context, chat: ChatController): Promise<void> {
  const printed = new Set<string>();
  const flush = () => {
    for (const entry of chat.model.timeline()) {
      if (printed.has(entry.key)) continue;
      if (entry.kind === 'note') {
        printed.add(entry.key);
        if (entry.level !== 'divider') ctx.note(`· ${sanitize(entry.text)}`);
        continue;
      }
      if (entry.seq === undefined) continue;
      printed.add(entry.key);
      const text = entry.body.ok
        ? sanitize(entry.body.text)
        : `[cannot read this message: ${entry.body.reason}]`;
      const [first = '', ...rest] = text.split('\n');
      ctx.print(
        [
          `${localDateTime(entry.at)} ${sanitize(chat.name(entry.senderId))}: ${first}`,
          ...rest.map((line) => `  ${line}`),
        ].join('\n'),
      );
    }
  };
  chat.onChange = flush;
  await chat.start();

  const stopper = untilInterrupted(ctx);
  const lines = createInterface({ input: ctx.io.stdin, terminal: false });
  let queue = Promise.resolve();
  let failure: unknown;
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    queue = queue
      .then(async () => {
        if (failure === undefined && (await chat.submit(line)) === 'quit') stopper.stop();
      })
      .catch((error: unknown) => {
        failure = error;
        stopper.stop();
      });
  });
  lines.on('close', () => {
    void queue.then(() => stopper.stop());
  });
  await stopper.promise;
  lines.close();
  await queue;
  if (failure !== undefined) throw failure;
  const unsent = await chat.settle(DRAIN_TIMEOUT_MS);
  flush();
  if (unsent > 0) {
    throw new CliError(`${unsent} message${unsent === 1 ? ' was' : 's were'} not confirmed by the server`, {
      exitCode: ExitCode.unavailable,
    });
  }
}
