import { describe, expect, it } from 'vitest';
import { TokenBucket, ViolationCounter } from './rate-limit.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TokenBucket', () => {
  it('lets a burst of `capacity` through, then refuses until tokens refill at the rate', () => {
    const time = clock();
    const bucket = new TokenBucket(10, 5, time.now);
    const burst = Array.from({ length: 7 }, () => bucket.take());
    expect(burst).toEqual([true, true, true, true, true, false, false]);
    time.advance(100); // 10/s → one token
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than its capacity however long it waits', () => {
    const time = clock();
    const bucket = new TokenBucket(10, 3, time.now);
    time.advance(60_000);
    const taken = Array.from({ length: 5 }, () => bucket.take()).filter(Boolean);
    expect(taken).toHaveLength(3);
  });
});

describe('ViolationCounter', () => {
  it('is exceeded past `max` refusals within one window and starts over in the next', () => {
    const time = clock();
    const counter = new ViolationCounter(3, 1_000, time.now);
    expect([counter.record(), counter.record(), counter.record()]).toEqual([false, false, false]);
    expect(counter.record()).toBe(true);
    time.advance(1_000);
    expect(counter.record()).toBe(false);
  });
});
