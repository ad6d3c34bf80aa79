import { describe, expect, it } from 'vitest';
import { splitLinks } from './links.js';

describe('splitLinks', () => {
  it('finds http(s) and www links between text', () => {
    expect(splitLinks('see https://example.com/a?b=1 and www.test.org/x now')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'www.test.org/x', href: 'https://www.test.org/x' },
      { kind: 'text', text: ' now' },
    ]);
  });

  it('leaves sentence punctuation out of the link, but keeps balanced parentheses', () => {
    expect(splitLinks('Read https://example.com/page.')).toEqual([
      { kind: 'text', text: 'Read ' },
      { kind: 'link', text: 'https://example.com/page', href: 'https://example.com/page' },
      { kind: 'text', text: '.' },
    ]);
    expect(splitLinks('(see https://en.wikipedia.org/wiki/Foo_(bar))')).toEqual([
      { kind: 'text', text: '(see ' },
      {
        kind: 'link',
        text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
        href: 'https://en.wikipedia.org/wiki/Foo_(bar)',
      },
      { kind: 'text', text: ')' },
    ]);
  });

  it('never makes other schemes clickable', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,hi', 'ftp://x.org', 'http://']) {
      expect(splitLinks(text).every((p) => p.kind === 'text')).toBe(true);
    }
  });

  it('returns plain text as one part, and nothing for nothing', () => {
    expect(splitLinks('hello')).toEqual([{ kind: 'text', text: 'hello' }]);
    expect(splitLinks('')).toEqual([]);
  });
});
