import type { Style } from '../ui/color.js';
import { colorName, hourMinute, localDate, markParts, relativeTime } from '../ui/format.js';
import { displayWidth, sanitize, truncate, wrapText } from '../ui/text.js';
import type { ChatModel, Entry, MessageEntry } from './model.js';

export interface ScreenView {
  width: number;
  height: number;
  /** Lines scrolled up from the bottom of the message area. */
  scroll: number;
  input: { text: string; cursorColumn: number };
  /** Usernames by id. */
  name: (userId: string) => string;
  title: string;
  now: Date;
}

export interface RenderedScreen {
  /** Exactly `height` lines, each at most `width` columns (styles aside). */
  lines: string[];
  /** Where the terminal cursor goes (0-based), in the input line. */
  cursor: { row: number; column: number };
  /** The largest useful `scroll` (the message area's lines above the screen). */
  maxScroll: number;
}

export const PROMPT = '› ';

/**
 * The chat screen as lines: a header (who, presence, connection), the
 * messages, a status line (typing, scroll position, hints) and the input line.
 */
export function renderScreen(model: ChatModel, view: ScreenView, style: Style): RenderedScreen {
  const width = Math.max(20, view.width);
  const height = Math.max(5, view.height);
  const areaHeight = height - 3;
  const body = renderTimeline(model, view, width, style);
  if (model.hasMoreAbove) body.unshift(style.dim('  ↑ older messages: PgUp'));
  const maxScroll = Math.max(0, body.length - areaHeight);
  const scroll = Math.min(view.scroll, maxScroll);
  const end = body.length - scroll;
  const area = body.slice(Math.max(0, end - areaHeight), end);
  while (area.length < areaHeight) area.unshift('');
  return {
    lines: [
      header(model, view, width, style),
      ...area,
      statusLine(model, view, scroll, width, style),
      `${style.bold(PROMPT)}${view.input.text}`,
    ],
    cursor: { row: height - 1, column: displayWidth(PROMPT) + view.input.cursorColumn },
    maxScroll,
  };
}

function header(model: ChatModel, view: ScreenView, width: number, style: Style): string {
  const others = model.others;
  let who: string;
  if (model.conversation.kind === 'group') {
    const online = others.filter((userId) => model.presence.get(userId)?.status === 'online').length;
    who = `${view.title} · ${model.conversation.members.length} members${online > 0 ? ` · ${online} online` : ''}`;
  } else {
    const other = others[0];
    const presence = other ? model.presence.get(other) : undefined;
    who =
      presence?.status === 'online'
        ? `${view.title} · online`
        : presence?.lastSeenAt
          ? `${view.title} · last seen ${relativeTime(new Date(presence.lastSeenAt), view.now)}`
          : view.title;
  }
  if (!model.isMember) who += ' · you are not a member';
  const connection = connectionText(model, view.now);
  const left = truncate(` ${who}`, Math.max(1, width - displayWidth(connection.text) - 2));
  const gap = ' '.repeat(Math.max(1, width - displayWidth(left) - displayWidth(connection.text) - 1));
  const bar = `${left}${gap}${connection.text} `;
  return style.enabled
    ? style.inverse(`${left}${gap}`) + style.inverse(style[connection.color](`${connection.text} `))
    : bar;
}

export function connectionText(
  model: ChatModel,
  now: Date,
): { text: string; color: 'green' | 'yellow' | 'red' } {
  const { connection } = model;
  switch (connection.state) {
    case 'live':
      return { text: '● connected', color: 'green' };
    case 'syncing':
      return { text: '◌ syncing…', color: 'yellow' };
    case 'connecting':
      return { text: '◌ connecting…', color: 'yellow' };
    case 'offline': {
      if (connection.ended) return { text: `✗ disconnected: ${connection.ended}`, color: 'red' };
      if (connection.retryAt === undefined) return { text: '✗ offline', color: 'red' };
      const seconds = Math.max(0, Math.ceil((connection.retryAt - now.getTime()) / 1000));
      return { text: `✗ offline · retrying in ${seconds} s`, color: 'red' };
    }
  }
}

function statusLine(model: ChatModel, view: ScreenView, scroll: number, width: number, style: Style): string {
  const typing = model.typing(view.now.getTime()).map(view.name);
  if (typing.length > 0) {
    const names =
      typing.length === 1
        ? `${typing[0]} is`
        : typing.length === 2
          ? `${typing[0]} and ${typing[1]} are`
          : `${typing.length} people are`;
    return style.italic(style.gray(truncate(`  ${names} typing…`, width)));
  }
  if (scroll > 0) return style.yellow(truncate(`  ↓ ${scroll} more lines below · PgDn`, width));
  return style.dim(truncate('  /help for commands · PgUp/PgDn scroll · Ctrl-C quits', width));
}

/** Every line of the message area, oldest first. */
export function renderTimeline(model: ChatModel, view: ScreenView, width: number, style: Style): string[] {
  const lines: string[] = [];
  let day: string | undefined;
  for (const entry of model.timeline()) {
    if (entry.kind === 'message') {
      const entryDay = localDate(entry.at);
      if (entryDay !== day) {
        if (day !== undefined || entryDay !== localDate(view.now))
          lines.push(divider(dayLabel(entry.at, view.now), width, style));
        day = entryDay;
      }
      lines.push(...renderMessage(model, entry, view, width, style));
    } else {
      lines.push(...renderNote(entry, width, style));
    }
  }
  return lines;
}

function renderMessage(
  model: ChatModel,
  entry: MessageEntry,
  view: ScreenView,
  width: number,
  style: Style,
): string[] {
  const time = hourMinute(entry.at);
  const name = sanitize(view.name(entry.senderId));
  const head = `${time} ${name}: `;
  const headWidth = displayWidth(head);
  const indent = headWidth <= width / 2 ? headWidth : 6;
  const text = entry.body.ok ? sanitize(entry.body.text) : `[cannot read this message: ${entry.body.reason}]`;
  const mark = entry.own ? markParts(model.statusOf(entry), model.others.length) : undefined;
  const wrapped = wrapText(`${text}${mark ? ` ${mark.text}` : ''}`, {
    first: width - headWidth,
    rest: width - indent,
  });
  return wrapped.map((line, index) => {
    let styled = entry.body.ok ? line : style.red(line);
    if (mark && index === wrapped.length - 1 && line.endsWith(mark.text)) {
      styled = `${line.slice(0, line.length - mark.text.length)}${style[mark.color](mark.text)}`;
    }
    if (index > 0) return `${' '.repeat(indent)}${styled}`;
    return `${style.dim(time)} ${colorName(style, name)}: ${styled}`;
  });
}

function renderNote(entry: Extract<Entry, { kind: 'note' }>, width: number, style: Style): string[] {
  if (entry.level === 'divider') return [divider(entry.text, width, style, 'yellow')];
  const color = entry.level === 'error' ? style.red : entry.level === 'warn' ? style.yellow : style.dim;
  return wrapText(sanitize(entry.text), width - 4).map((line, index) =>
    color(`${index === 0 ? '  · ' : '    '}${line}`),
  );
}

function divider(label: string, width: number, style: Style, color: 'gray' | 'yellow' = 'gray'): string {
  const text = ` ${label} `;
  const side = Math.max(2, Math.floor((width - displayWidth(text)) / 2));
  return style[color](
    `${'─'.repeat(side)}${text}${'─'.repeat(Math.max(2, width - side - displayWidth(text)))}`,
  );
}

function dayLabel(at: Date, now: Date): string {
  const today = localDate(now);
  const yesterday = localDate(new Date(now.getTime() - 86_400_000));
  const date = localDate(at);
  if (date === today) return 'today';
  if (date === yesterday) return 'yesterday';
  return `${at.toLocaleDateString('en-US', { weekday: 'short' })} ${date}`;
}
