import { describe, expect, it } from 'vitest';
import { displayWidth, sanitize, stripAnsi, truncate, wrapText } from './text.js';

describe('displayWidth', () => {
  it('counts columns, not code units', () => {
    expect(displayWidth('hello')).toBe(5);
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('👍')).toBe(2);
    expect(displayWidth('👩‍👩‍👧')).toBe(2);
    expect(displayWidth('✓✓')).toBe(2);
    expect(displayWidth('')).toBe(0);
  });
});

describe('wrapText', () => {
  it('breaks at spaces and keeps every word', () => {
    const lines = wrapText('the quick brown fox jumps over the lazy dog', 10);
    expect(lines).toEqual(['the quick', 'brown fox', 'jumps over', 'the lazy', 'dog']);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(10);
  });

  it('splits words longer than a line', () => {
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('日本語テキスト', 5)).toEqual(['日本', '語テ', 'キス', 'ト']);
  });

  it('keeps line breaks and empty lines', () => {
    expect(wrapText('one\n\ntwo', 10)).toEqual(['one', '', 'two']);
  });

  it('can make the first line shorter than the rest', () => {
    expect(wrapText('aaa bbb ccc ddd', { first: 4, rest: 8 })).toEqual(['aaa', 'bbb ccc', 'ddd']);
  });

  it('never breaks at a no-break space', () => {
    expect(wrapText('hi there ✓✓\u00a0seen', 10)).toEqual(['hi there', '✓✓\u00a0seen']);
  });
});

describe('truncate', () => {
  it('cuts to the width with an ellipsis', () => {
    expect(truncate('hello world', 8)).toBe('hello w…');
    expect(truncate('short', 8)).toBe('short');
    expect(displayWidth(truncate('日本語テキスト', 6))).toBeLessThanOrEqual(6);
  });
});

describe('sanitize', () => {
  it('neutralises terminal escapes and control characters from other people', () => {
    const hostile = 'hi\x1b]0;pwned\x07\x1b[2J\rgone\u202eevil';
    const safe = sanitize(hostile);
    const controls = [...safe].filter(
      (char) => (char < ' ' && char !== '\n') || char === '\x7f' || char === '\u202e',
    );
    expect(controls).toEqual([]);
    expect(safe).toContain('␛');
    expect(safe).toContain('hi');
  });

  it('keeps line breaks and turns tabs into spaces', () => {
    expect(sanitize('a\tb\r\nc')).toBe('a  b\nc');
  });

  it('strips the styles this program adds', () => {
    expect(stripAnsi('\x1b[1m\x1b[32mbob\x1b[39m\x1b[22m')).toBe('bob');
  });
});
