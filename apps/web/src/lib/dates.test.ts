import { describe, expect, it } from 'vitest';
import {
  buildTimeline,
  calendarDaysBetween,
  dayKey,
  dayLabel,
  lastSeenLabel,
  listTimeLabel,
} from './dates.js';

// Dates are built from local components so the tests hold in any time zone.
const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi);
const iso = (date: Date) => date.toISOString();

describe('day labels', () => {
  const now = at(2025, 3, 14, 9, 30);

  it('names today, yesterday, weekdays of the last week, then dates', () => {
    expect(dayLabel(at(2025, 3, 14, 0, 1), now, 'en-US')).toBe('Today');
    expect(dayLabel(at(2025, 3, 13, 23, 59), now, 'en-US')).toBe('Yesterday');
    expect(dayLabel(at(2025, 3, 10), now, 'en-US')).toBe('Monday');
    expect(dayLabel(at(2025, 3, 7), now, 'en-US')).toBe('March 7');
    expect(dayLabel(at(2024, 12, 31), now, 'en-US')).toBe('December 31, 2024');
  });

  it('counts calendar days, not 24-hour periods', () => {
    expect(calendarDaysBetween(at(2025, 3, 13, 23, 59), at(2025, 3, 14, 0, 1))).toBe(1);
    expect(calendarDaysBetween(at(2025, 3, 14, 0, 1), at(2025, 3, 14, 23, 59))).toBe(0);
    expect(dayKey(at(2025, 1, 5))).toBe('2025-01-05');
  });

  it('keeps list timestamps compact', () => {
    expect(listTimeLabel(at(2025, 3, 13), now, 'en-US')).toBe('Yesterday');
    expect(listTimeLabel(at(2025, 3, 11), now, 'en-US')).toBe('Tue');
    expect(listTimeLabel(at(2025, 1, 2), now, 'en-US')).toBe('Jan 2');
  });

  it('describes last seen', () => {
    expect(lastSeenLabel(new Date(now.getTime() - 20_000), now)).toBe('last seen just now');
    expect(lastSeenLabel(at(2025, 3, 14, 9, 0), now)).toBe('last seen 30 min ago');
    expect(lastSeenLabel(at(2025, 3, 13, 20, 0), now, 'en-GB')).toBe('last seen yesterday at 20:00');
  });
});

describe('buildTimeline', () => {
  const now = at(2025, 3, 14, 18);
  const msg = (key: string, senderId: string, date: Date) => ({ key, senderId, createdAt: iso(date) });

  it('puts a separator before the first message of each day', () => {
    const rows = buildTimeline(
      [
        msg('a', 'u1', at(2025, 3, 13, 22)),
        msg('b', 'u1', at(2025, 3, 14, 8)),
        msg('c', 'u2', at(2025, 3, 14, 8, 1)),
      ],
      (m) => m.key,
      now,
      'en-US',
    );
    expect(rows.map((r) => (r.kind === 'day' ? `[${r.label}]` : r.key))).toEqual([
      '[Yesterday]',
      'a',
      '[Today]',
      'b',
      'c',
    ]);
  });

  it('groups runs by the same sender within five minutes on one day', () => {
    const rows = buildTimeline(
      [
        msg('a', 'u1', at(2025, 3, 14, 8, 0)),
        msg('b', 'u1', at(2025, 3, 14, 8, 4)),
        msg('c', 'u1', at(2025, 3, 14, 8, 20)),
        msg('d', 'u2', at(2025, 3, 14, 8, 21)),
      ],
      (m) => m.key,
      now,
    ).filter((r) => r.kind === 'message');
    expect(rows.map((r) => [r.key, r.startsGroup, r.endsGroup])).toEqual([
      ['a', true, false],
      ['b', false, true],
      ['c', true, true],
      ['d', true, true],
    ]);
  });

  it('is empty for no messages', () => {
    expect(buildTimeline([], () => '', now)).toEqual([]);
  });
});
