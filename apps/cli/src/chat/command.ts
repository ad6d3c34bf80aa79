import type { Context } from '../cli/context.js';
import { ChatController } from './controller.js';
import { runPlain } from './plain.js';
import { ChatScreen } from './screen.js';

export async function chatCommand(ctx: Context, args: string[]): Promise<void> {
  const session = await ctx.session();
  const keys = await ctx.keys();
  const directory = await ctx.directory();
  const conversation = await directory.conversationFor(args[0] ?? '');
  await directory.learn(conversation.members.map((member) => member.userId));
  const chat = new ChatController(session, keys, directory, conversation, Boolean(ctx.io.env.IM_DEBUG));
  ctx.onKeyChange = (notice) => chat.keyChanged(notice);
  try {
    if (ctx.io.stdin.isTTY && ctx.io.stdout.isTTY) {
      await chat.start();
      await new ChatScreen(ctx.io.stdin, ctx.io.stdout, ctx.out, chat).run();
    } else {
      await runPlain(ctx, chat);
    }
  } finally {
    await chat.close();
  }
}
