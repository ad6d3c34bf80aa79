import type { OutgoingMessage } from '@im/client';
import type { Style } from './color.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** `14:05`, local time. */
export function hourMinute(at: Date): string {
  return `${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** `14:05` today, `Mon 14:05` within a week, `2025-03-01 14:05` before. Local time. */
export function clockTime(at: Date, now: Date = new Date()): string {
  const hm = hourMinute(at);
  const sameDay = at.toDateString() === now.toDateString();
  if (sameDay) return hm;
  const days = (now.getTime() - at.getTime()) / 86_400_000;
  if (days >= 0 && days < 6) return `${at.toLocaleDateString('en-US', { weekday: 'short' })} ${hm}`;
  return `${localDate(at)} ${hm}`;
}

export function localDate(at: Date): string {
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** `2025-03-01 14:05:09`: local date and time to the second, for plain output. */
export function localDateTime(at: Date): string {
  return `${localDate(at)} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** `just now`, `5 min ago`, `3 h ago`, `yesterday`, `4 days ago`, then the date. */
export function relativeTime(at: Date, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return localDate(at);
}

export const Marks = {
  pending: '◷',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
  failed: '✗',
} as const;

/**
 * The status of a message I sent, as a short mark: ◷ pending, ✓ sent,
 * ✓✓ delivered, ✓✓ seen (read; also in blue), ✗ not sent. In a group the
 * marks count the other members: `✓✓ 2/4` delivered to 2 of 4, `seen 1/4`.
 * The mark uses no-break spaces so that wrapping never splits it.
 */
export function markParts(
  status: Pick<OutgoingMessage, 'status' | 'deliveredCount' | 'readCount'>,
  others: number,
): { text: string; color: 'gray' | 'blue' | 'red' } {
  const group = others > 1;
  const nb = (text: string) => text.replaceAll(' ', '\u00a0');
  switch (status.status) {
    case 'pending':
      return { text: Marks.pending, color: 'gray' };
    case 'failed':
      return { text: nb(`${Marks.failed} not sent`), color: 'red' };
    case 'sent':
      return { text: Marks.sent, color: 'gray' };
    case 'delivered':
      return {
        text: group ? nb(`${Marks.delivered} ${status.deliveredCount}/${others}`) : Marks.delivered,
        color: 'gray',
      };
    case 'read':
      return {
        text: group
          ? nb(`${Marks.read} ${status.deliveredCount}/${others} seen ${status.readCount}/${others}`)
          : nb(`${Marks.read} seen`),
        color: 'blue',
      };
  }
}

export function statusMark(
  status: Pick<OutgoingMessage, 'status' | 'deliveredCount' | 'readCount'>,
  others: number,
  style: Style,
): string {
  const { text, color } = markParts(status, others);
  return style[color](text);
}

const NAME_COLORS = ['green', 'yellow', 'blue', 'magenta', 'cyan', 'red'] as const;

/** A person's name in a colour of their own (stable: picked by a hash of the name). */
export function colorName(style: Style, name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  const color = NAME_COLORS[hash % NAME_COLORS.length]!;
  return style.bold(style[color](name));
}
