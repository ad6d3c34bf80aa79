import { describe, expect, it } from 'vitest';
import { BrokerCatalog, MessageNames } from './catalog.js';
import { ErrorCatalog } from './errors.js';
import { Exchanges, Queues } from './topology.js';

describe('broker catalog', () => {
  it('names every message <noun>.<verb>.v<N>', () => {
    for (const name of MessageNames) expect(name).toMatch(/^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*\.v\d+$/);
  });

  it('routes every message to a declared exchange, and every queue binding to a catalog message', () => {
    for (const entry of Object.values(BrokerCatalog))
      expect(Object.keys(Exchanges)).toContain(entry.exchange);
    for (const queue of Object.values(Queues)) {
      for (const binding of queue.bindings) {
        for (const key of binding.keys) {
          expect(MessageNames, `${queue.name} binds ${key}`).toContain(key);
          expect(BrokerCatalog[key as keyof typeof BrokerCatalog].exchange).toBe(binding.exchange);
        }
      }
    }
  });
});

describe('error catalog', () => {
  it('prefixes codes by area and gives every code a valid status', () => {
    for (const [code, entry] of Object.entries(ErrorCatalog)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(entry.http).toBeGreaterThanOrEqual(400);
      expect(entry.http).toBeLessThan(600);
      if ('wsClose' in entry)
        expect(entry.wsClose === 1009 || entry.wsClose === 1012 || entry.wsClose >= 4000).toBe(true);
    }
  });
});
