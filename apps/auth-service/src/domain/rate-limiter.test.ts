import { describe, expect, it } from 'vitest';
import { msUntilAllowed } from './rate-limiter.js';

const windowMs = 60_000;

/** The sliding-window estimate of one more hit made `waitMs` from now, if nobody else hits meanwhile. */
function estimateAfter(elapsed: number, count: number, previous: number, waitMs: number) {
  const at = elapsed + waitMs / windowMs;
  if (at < 1) return previous * (1 - at) + count + 1;
  const next = at - 1;
  return next < 1 ? count * (1 - next) + 1 : 1;
}

describe('msUntilAllowed (Retry-After)', () => {
  it('waits into the next window when this window alone is over the limit', () => {
    // 4 hits, limit 3, half-way: the next window starts in 30 s, and then 4·(1−g)+1 ≤ 3 needs g = 0.5.
    expect(msUntilAllowed({ limit: 3, windowMs }, 0.5, 4, 0)).toBeCloseTo(60_000);
  });

  it('waits only until the previous window weighs little enough', () => {
    // 6 hits last window, 1 now, a quarter in: 6·(1−f) + 2 ≤ 3 at f = 5/6.
    expect(msUntilAllowed({ limit: 3, windowMs }, 0.25, 1, 6)).toBeCloseTo((5 / 6 - 0.25) * windowMs);
  });

  it('is always enough for one more hit to pass, and not much more than needed', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let checked = 0;
    for (let i = 0; i < 5_000; i += 1) {
      const limit = 1 + Math.floor(random() * 20);
      const count = 1 + Math.floor(random() * 40);
      const previous = Math.floor(random() * 40);
      const elapsed = random();
      if (previous * (1 - elapsed) + count <= limit) continue;
      checked += 1;
      const wait = msUntilAllowed({ limit, windowMs }, elapsed, count, previous);
      expect(wait).toBeGreaterThan(0);
      expect(estimateAfter(elapsed, count, previous, wait)).toBeLessThanOrEqual(limit + 1e-9);
      // A second less would not do (unless the answer is within a second anyway).
      if (wait > 1_000) expect(estimateAfter(elapsed, count, previous, wait - 1_000)).toBeGreaterThan(limit);
    }
    expect(checked).toBeGreaterThan(1_000);
  });
});
