import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher (group commit)', () => {
  it('flushes what arrives in one turn together and gives each caller its own result', async () => {
    const flushed: number[][] = [];
    const batcher = new Batcher<number, string>(
      async (items) => {
        flushed.push([...items]);
        return items.map((i) => `r${i}`);
      },
      { maxBatch: 10, concurrency: 1 },
    );
    const results = await Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
    expect(results).toEqual(['r1', 'r2', 'r3']);
    expect(flushed).toEqual([[1, 2, 3]]);
  });

  it('collects items that arrive during a flush into the next one, up to maxBatch', async () => {
    const flushed: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batcher = new Batcher<number, number>(
      async (items) => {
        flushed.push([...items]);
        if (flushed.length === 1) await gate;
        return [...items];
      },
      { maxBatch: 3, concurrency: 1 },
    );
    const first = batcher.submit(0);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [1, 2, 3, 4, 5, 6, 7].map((i) => batcher.submit(i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([[0]]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(flushed).toEqual([[0], [1, 2, 3], [4, 5, 6], [7]]);
    await batcher.drained();
    expect(batcher.size).toBe(0);
  });

  it('rejects every item of a failed flush and keeps serving later ones', async () => {
    let fail = true;
    const batcher = new Batcher<number, number>(
      async (items) => {
        if (fail) throw new Error('database down');
        return [...items];
      },
      { maxBatch: 10, concurrency: 2 },
    );
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.submit(3)).toBe(3);
  });

  it('runs at most `concurrency` flushes at once', async () => {
    let running = 0;
    let most = 0;
    const batcher = new Batcher<number, number>(
      async (items) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return [...items];
      },
      { maxBatch: 1, concurrency: 2 },
    );
    await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit(i)));
    expect(most).toBe(2);
  });

  it('never flushes two batches of one key at once, so each key keeps its order', async () => {
    const order: string[] = [];
    const holding = new Set<string>();
    let overlapped = false;
    const batcher = new Batcher<{ key: string; n: number }, number>(
      async (items) => {
        const keys = new Set(items.map((i) => i.key));
        for (const key of keys) {
          if (holding.has(key)) overlapped = true;
          holding.add(key);
        }
        // The first batch of key a is slow: a later one must not overtake it.
        await new Promise((resolve) => setTimeout(resolve, items[0]?.n === 0 ? 30 : 1));
        for (const item of items) order.push(`${item.key}${item.n}`);
        for (const key of keys) holding.delete(key);
        return items.map((i) => i.n);
      },
      { maxBatch: 2, concurrency: 3, key: (item) => item.key },
    );
    const items = [
      { key: 'a', n: 0 },
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
      { key: 'a', n: 3 },
      { key: 'c', n: 4 },
      { key: 'a', n: 5 },
    ];
    await Promise.all(items.map((item) => batcher.submit(item)));
    expect(overlapped).toBe(false);
    expect(order.filter((o) => o.startsWith('a'))).toEqual(['a0', 'a1', 'a3', 'a5']);
    // Other keys did not wait for a's slow batch.
    expect(order.indexOf('b2')).toBeLessThan(order.indexOf('a0'));
  });
});
