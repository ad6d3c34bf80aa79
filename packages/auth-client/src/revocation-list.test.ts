import { describe, expect, it } from 'vitest';
import { RevocationList } from './revocation-list.js';

describe('RevocationList', () => {
  it('remembers a revoked session until the retention has passed', () => {
    let now = 1_000_000;
    const list = new RevocationList({ retentionMs: 60_000, now: () => now });
    list.apply({ sessionId: 's1', revokedAt: new Date(now).toISOString() });
    expect(list.isRevoked('s1')).toBe(true);
    expect(list.isRevoked('s2')).toBe(false);
    now += 59_999;
    expect(list.isRevoked('s1')).toBe(true);
    now += 1;
    expect(list.isRevoked('s1')).toBe(false);
    expect(list.size).toBe(0);
  });

  it('keeps the earliest revocation time when an event is delivered twice', () => {
    let now = 1_000_000;
    const list = new RevocationList({ retentionMs: 10_000, now: () => now });
    list.revoke('s1', now);
    list.revoke('s1', now + 5_000);
    now += 10_000;
    expect(list.isRevoked('s1')).toBe(false);
  });

  it('prunes old entries as new ones arrive, so memory stays bounded', () => {
    let now = 0;
    const list = new RevocationList({ retentionMs: 1_000, now: () => now });
    for (let i = 0; i < 100; i += 1) {
      list.revoke(`s${i}`, now);
      now += 100;
    }
    expect(list.size).toBeLessThanOrEqual(11);
    expect(list.prune()).toBeGreaterThanOrEqual(0);
    expect(list.size).toBeLessThanOrEqual(10);
  });

  it('rejects an invalid time and a non-positive retention', () => {
    expect(() => new RevocationList({ retentionMs: 0 })).toThrow(RangeError);
    const list = new RevocationList({ retentionMs: 1 });
    expect(() => list.revoke('s', 'not a date')).toThrow(RangeError);
  });
});
