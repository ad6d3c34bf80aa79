import { describe, expect, it } from 'vitest';
import { colorEnabled, createStyle } from './color.js';
import { clockTime, colorName, markParts, relativeTime, statusMark } from './format.js';

describe('markParts', () => {
  const status = (
    s: 'pending' | 'sent' | 'delivered' | 'read' | 'failed',
    deliveredCount = 0,
    readCount = 0,
  ) => ({
    status: s,
    deliveredCount,
    readCount,
  });

  it('marks a direct message: ◷ pending, ✓ sent, ✓✓ delivered, read shown distinctly', () => {
    expect(markParts(status('pending'), 1).text).toBe('◷');
    expect(markParts(status('sent'), 1).text).toBe('✓');
    expect(markParts(status('delivered', 1), 1).text).toBe('✓✓');
    expect(markParts(status('read', 1, 1), 1)).toEqual({ text: '✓✓\u00a0seen', color: 'blue' });
    expect(markParts(status('failed'), 1).color).toBe('red');
  });

  it('counts the other members in a group', () => {
    expect(markParts(status('delivered', 2), 4).text).toBe('✓✓\u00a02/4');
    expect(markParts(status('read', 3, 1), 4).text).toBe('✓✓\u00a03/4\u00a0seen\u00a01/4');
  });

  it('colours only when asked to', () => {
    expect(statusMark(status('read', 1, 1), 1, createStyle(false))).toBe('✓✓\u00a0seen');
    expect(statusMark(status('read', 1, 1), 1, createStyle(true))).toBe('\x1b[34m✓✓\u00a0seen\x1b[39m');
  });
});

describe('times', () => {
  const now = new Date(2025, 5, 15, 12, 0, 0);

  it('says how long ago', () => {
    expect(relativeTime(new Date(now.getTime() - 10_000), now)).toBe('just now');
    expect(relativeTime(new Date(now.getTime() - 5 * 60_000), now)).toBe('5 min ago');
    expect(relativeTime(new Date(now.getTime() - 3 * 3_600_000), now)).toBe('3 h ago');
    expect(relativeTime(new Date(now.getTime() - 30 * 3_600_000), now)).toBe('yesterday');
    expect(relativeTime(new Date(now.getTime() - 4 * 86_400_000), now)).toBe('4 days ago');
    expect(relativeTime(new Date(2025, 0, 2), now)).toBe('2025-01-02');
  });

  it('shows a clock time, with the day when it is not today', () => {
    expect(clockTime(new Date(2025, 5, 15, 9, 5), now)).toBe('09:05');
    expect(clockTime(new Date(2025, 5, 13, 9, 5), now)).toBe('Fri 09:05');
    expect(clockTime(new Date(2024, 11, 31, 23, 59), now)).toBe('2024-12-31 23:59');
  });
});

describe('colour', () => {
  it('is on for terminals only, and off with NO_COLOR or TERM=dumb', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });

  it('gives each name a stable colour', () => {
    const style = createStyle(true);
    expect(colorName(style, 'alice')).toBe(colorName(style, 'alice'));
    expect(colorName(createStyle(false), 'alice')).toBe('alice');
  });
});
