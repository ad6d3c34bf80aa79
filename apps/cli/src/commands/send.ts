import { randomUUID } from 'node:crypto';
import type { ImClient, OutgoingMessage } from '@im/client';
import type { Conversation, SealedEnvelope } from '@im/contracts';
import type { Context } from '../cli/context.js';
import { CliError, ExitCode, UsageError } from '../cli/errors.js';
import { type OptionValues, secondsOption } from '../cli/parse.js';
import { createClient } from '../connection.js';
import { readAll } from '../ui/prompt.js';

export async function sendCommand(ctx: Context, args: string[], options: OptionValues): Promise<void> {
  const timeoutMs = secondsOption(options, 'timeout', 15, 'send');
  const [target = '', ...words] = args;
  const text = words.length > 0 ? words.join(' ') : await textFromStdin(ctx);
  if (text.trim() === '') throw new CliError('nothing to send: the message is empty');

  const session = await ctx.session();
  const directory = await ctx.directory();
  const keys = await ctx.keys();
  const conversation = await directory.conversationFor(target);
  const clientMsgId = randomUUID();
  const envelope = await keys.sealText(
    conversation.id,
    conversation.members.map((member) => member.userId),
    clientMsgId,
    text,
  );
  const client = createClient(session, { sendOnly: true });
  try {
    await sendAndWait(client, conversation, envelope, timeoutMs, ctx.server);
    if (ctx.interactive) ctx.note(`${ctx.err.green('✓')} sent to ${directory.title(conversation)}`);
  } finally {
    await client.close();
  }
}

async function textFromStdin(ctx: Context): Promise<string> {
  if (ctx.io.stdin.isTTY) {
    throw new UsageError('no message: give the text as arguments or pipe it in', 'send');
  }
  // `echo hi | im send bob` sends "hi", not "hi\n".
  return (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
}

/**
 * Sends one sealed message and resolves once the server has stored it
 * (status `sent`); the client resends it with the same clientMsgId across
 * reconnections until then. Fails when the server refuses it, when the
 * session has ended, or when nothing is confirmed in `timeoutMs`.
 */
export function sendAndWait(
  client: ImClient,
  conversation: Pick<Conversation, 'id'>,
  envelope: SealedEnvelope,
  timeoutMs: number,
  server: string,
): Promise<OutgoingMessage> {
  return new Promise<OutgoingMessage>((resolve, reject) => {
    let connected = false;
    let lastProblem = '';
    const stops: Array<() => void> = [];
    const finish = (error: CliError | undefined, message?: OutgoingMessage) => {
      for (const stop of stops) stop();
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(message!);
    };
    stops.push(
      client.on('ready', (frame) => {
        connected = true;
        if (JSON.stringify(envelope).length > frame.limits.maxEnvelopeBytes) {
          finish(new CliError('the message is too long for this server; split it up'));
        }
      }),
      client.on('status', (status) => {
        if (status.clientMsgId !== envelope.clientMsgId) return;
        if (status.status === 'failed') {
          finish(
            new CliError(`the server refused the message: ${status.error?.message ?? 'unknown reason'}`),
          );
        } else if (status.status !== 'pending') {
          finish(undefined, status);
        }
      }),
      client.on('error', (error) => {
        lastProblem = error.message;
      }),
      client.on('disconnected', (info) => {
        if (info.reconnectInMs !== null) {
          lastProblem = info.reason || `connection closed (${info.code})`;
          return;
        }
        finish(
          new CliError(`the server ended the connection: ${info.reason || `code ${info.code}`}`, {
            exitCode: info.code === 4401 || info.code === 4403 ? ExitCode.noAuth : ExitCode.unavailable,
            hint: info.code === 4401 || info.code === 4403 ? 'run `im login` again' : undefined,
          }),
        );
      }),
    );
    const timer = setTimeout(() => {
      const seconds = Math.round(timeoutMs / 1000);
      finish(
        connected
          ? new CliError(
              `the server did not confirm the message within ${seconds} s; it may not have been stored`,
              {
                exitCode: ExitCode.unavailable,
              },
            )
          : new CliError(
              `cannot reach the live service at ${server} within ${seconds} s${lastProblem ? ` (${lastProblem})` : ''}`,
              { exitCode: ExitCode.unavailable },
            ),
      );
    }, timeoutMs);
    client.send(conversation.id, envelope);
    client.connect();
  });
}
