import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles its bound up to the maximum (full jitter below the bound) and starts over after reset', () => {
    const top = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999_999 });
    expect(Array.from({ length: 6 }, () => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    top.reset();
    expect(top.next()).toBe(99);
    const bottom = new Backoff({ random: () => 0 });
    expect(bottom.next()).toBe(0);
  });
});
