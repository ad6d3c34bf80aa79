/**
 * Calendar helpers for the chat view. Everything works in the viewer's local
 * time zone: a day separator says "Today" for what is today where the reader is.
 */

/** `YYYY-MM-DD` of the local calendar day of `date`. */
export function dayKey(date: Date): string {
  const y = date.getFullYear();
  const m = String(date.getMonth() + 1).padStart(2, '0');
  const d = String(date.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** Whole calendar days from `date` to `now` (0: same day, 1: yesterday), immune to DST shifts. */
export function calendarDaysBetween(date: Date, now: Date): number {
  return Math.round((startOfDay(now) - startOfDay(date)) / 86_400_000);
}

/** The label of a day separator: "Today", "Yesterday", a weekday within the week, else a date. */
export function dayLabel(date: Date, now: Date, locale?: string): string {
  const days = calendarDaysBetween(date, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return date.toLocaleDateString(locale, { weekday: 'long' });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(locale, {
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

/** Short time of day for a message ("14:05" or "2:05 PM" by locale). */
export function timeLabel(date: Date, locale?: string): string {
  return date.toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' });
}

/** Compact timestamp for the conversation list: a time today, a weekday this week, else a short date. */
export function listTimeLabel(date: Date, now: Date, locale?: string): string {
  const days = calendarDaysBetween(date, now);
  if (days === 0) return timeLabel(date, locale);
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return date.toLocaleDateString(locale, { weekday: 'short' });
  return date.toLocaleDateString(locale, { day: 'numeric', month: 'short' });
}

/** "last seen 5 minutes ago" style text for presence. */
export function lastSeenLabel(lastSeen: Date, now: Date, locale?: string): string {
  const minutes = Math.floor((now.getTime() - lastSeen.getTime()) / 60_000);
  if (minutes < 1) return 'last seen just now';
  if (minutes < 60) return `last seen ${minutes} min ago`;
  const days = calendarDaysBetween(lastSeen, now);
  if (days === 0) return `last seen today at ${timeLabel(lastSeen, locale)}`;
  if (days === 1) return `last seen yesterday at ${timeLabel(lastSeen, locale)}`;
  return `last seen ${lastSeen.toLocaleDateString(locale, { day: 'numeric', month: 'short' })}`;
}

export interface Timed {
  readonly createdAt: string;
  readonly senderId: string;
}

/** One row of the rendered timeline: a day separator or a message with its grouping flags. */
export type TimelineRow<T> =
  | { kind: 'day'; key: string; label: string }
  | {
      kind: 'message';
      key: string;
      message: T;
      /** First of a run of messages by the same sender within a few minutes (show the name). */
      startsGroup: boolean;
      /** Last of such a run (show the tail and the time). */
      endsGroup: boolean;
    };

const GROUP_GAP_MS = 5 * 60_000;

/**
 * Builds the rows of a chat timeline from messages in display order: a day
 * separator before the first message of each local day, and run grouping of
 * consecutive messages by the same sender.
 */
export function buildTimeline<T extends Timed>(
  messages: readonly T[],
  keyOf: (message: T) => string,
  now: Date,
  locale?: string,
): Array<TimelineRow<T>> {
  const rows: Array<TimelineRow<T>> = [];
  let previousDay: string | null = null;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const at = new Date(message.createdAt);
    const day = dayKey(at);
    if (day !== previousDay) {
      rows.push({ kind: 'day', key: `day-${day}`, label: dayLabel(at, now, locale) });
      previousDay = day;
    }
    const previous = messages[i - 1];
    const next = messages[i + 1];
    rows.push({
      kind: 'message',
      key: keyOf(message),
      message,
      startsGroup: !previous || !sameRun(previous, message),
      endsGroup: !next || !sameRun(message, next),
    });
  }
  return rows;
}

function sameRun(a: Timed, b: Timed): boolean {
  if (a.senderId !== b.senderId) return false;
  const ta = new Date(a.createdAt);
  const tb = new Date(b.createdAt);
  return dayKey(ta) === dayKey(tb) && Math.abs(tb.getTime() - ta.getTime()) <= GROUP_GAP_MS;
}
