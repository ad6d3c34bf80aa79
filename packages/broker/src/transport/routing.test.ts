import { describe, expect, it } from 'vitest';
import { bindingMatches, parseQueueArguments, topicMatches } from './routing.js';

describe('topicMatches', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['a.*', 'a.b.c', false],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['#', 'anything.at.all', true],
    ['#', 'x', true],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c', true],
    ['#.c', 'a.b.d', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.x.y.c', true],
    ['a.#.c', 'a.x.y', false],
    ['*.*', 'a.b', true],
    ['*.*', 'a', false],
    ['#.#', 'a.b', true],
    ['user.*', 'user.42', true],
    ['user.*', 'device.42', false],
    ['*.#.*', 'a', false],
    ['*.#.*', 'a.b', true],
  ])('%s ~ %s → %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('bindingMatches', () => {
  it('direct compares keys exactly, fanout ignores them', () => {
    expect(bindingMatches('direct', 'a.*', 'a.b')).toBe(false);
    expect(bindingMatches('direct', 'a.b', 'a.b')).toBe(true);
    expect(bindingMatches('fanout', 'x', 'y')).toBe(true);
  });
});

describe('parseQueueArguments', () => {
  it('keeps the supported arguments and refuses others', () => {
    expect(parseQueueArguments({ 'x-expires': 60_000, 'x-max-length': 10 })).toEqual({
      'x-expires': 60_000,
      'x-max-length': 10,
    });
    expect(() => parseQueueArguments({ 'x-queue-type': 'quorum' })).toThrow(/Unsupported queue arguments/);
    expect(() => parseQueueArguments({ 'x-overflow': 'reject-publish' })).toThrow(/Unsupported/);
  });
});
