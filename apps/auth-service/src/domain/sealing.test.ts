import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseSealingKey, SealingKey } from './sealing.js';

describe('SealingKey', () => {
  const raw = randomBytes(32);
  const key = new SealingKey(raw);
  const secret = Buffer.from('-----BEGIN PRIVATE KEY-----\nsecret\n');

  it('round-trips, bound to its associated data', () => {
    const sealed = key.seal(secret, 'kid-1');
    expect(sealed).not.toContain('secret');
    expect(key.open(sealed, 'kid-1')).toEqual(secret);
    expect(() => key.open(sealed, 'kid-2')).toThrow();
    expect(() => new SealingKey(randomBytes(32)).open(sealed, 'kid-1')).toThrow();
  });

  it('detects any change of the sealed bytes', () => {
    const sealed = Buffer.from(key.seal(secret, 'kid'), 'base64url');
    sealed[sealed.length - 20]! ^= 1;
    expect(() => key.open(sealed.toString('base64url'), 'kid')).toThrow();
  });

  it('uses a fresh IV every time', () => {
    expect(key.seal(secret, 'kid')).not.toBe(key.seal(secret, 'kid'));
  });

  it('reads base64 and base64url, and insists on 32 bytes', () => {
    expect(parseSealingKey(raw.toString('base64')).id).toBe(key.id);
    expect(parseSealingKey(raw.toString('base64url')).id).toBe(key.id);
    expect(() => parseSealingKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });

  it('never shows the raw key in JSON or inspection', () => {
    const shown = `${JSON.stringify({ key })} ${inspect(key)}`;
    expect(shown).toContain(key.id);
    expect(shown).not.toContain(raw.toString('base64'));
    expect(shown).not.toContain(raw.toString('hex'));
  });
});
