import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toBase64Url } from '../src/bytes.js';
import { checkKeyChange, fingerprint, generateIdentity, publicBundle, safetyNumber } from '../src/index.js';

describe('fingerprints and safety numbers', () => {
  it('a fingerprint is 30 digits in six groups and depends on user and both keys, not the version', async () => {
    const alice = publicBundle(await generateIdentity(randomUUID()));
    const fp = fingerprint(alice);
    expect(fp).toMatch(/^\d{5}( \d{5}){5}$/);
    expect(fingerprint({ ...alice, keyVersion: 9 })).toBe(fp);
    const other = publicBundle(await generateIdentity(randomUUID()));
    expect(fingerprint({ ...alice, x25519: other.x25519 })).not.toBe(fp);
    expect(fingerprint({ ...alice, ed25519: other.ed25519 })).not.toBe(fp);
    expect(fingerprint({ ...alice, userId: other.userId })).not.toBe(fp);
  });

  it('follows the documented algorithm (checked with an independent SHA-512) and a pinned answer', () => {
    const x25519 = fromHex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const ed25519 = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const userId = '00000000-0000-4000-8000-000000000001';
    const bundle = { userId, keyVersion: 1, x25519: toBase64Url(x25519), ed25519: toBase64Url(ed25519) };

    const str = (s: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)]);
    const keys = Buffer.concat([x25519, ed25519]);
    let h = createHash('sha512')
      .update(Buffer.concat([str('im-e2ee/v1/fingerprint'), str(userId), keys]))
      .digest();
    for (let i = 1; i < 5200; i++)
      h = createHash('sha512')
        .update(Buffer.concat([h, keys]))
        .digest();
    const groups = Array.from({ length: 6 }, (_, g) =>
      String(Number(h.readBigUInt64BE(g * 5) >> 24n) % 100000).padStart(5, '0'),
    );
    expect(fingerprint(bundle)).toBe(groups.join(' '));
    expect(fingerprint(bundle)).toBe('85350 75714 71438 57640 41651 03876');
  });

  it('a safety number is the same 60 digits from both sides', async () => {
    const a = publicBundle(await generateIdentity(randomUUID()));
    const b = publicBundle(await generateIdentity(randomUUID()));
    const ab = safetyNumber(a, b);
    expect(ab).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(safetyNumber(b, a)).toBe(ab);
    const halves = [fingerprint(a), fingerprint(b)].sort();
    expect(ab).toBe(halves.join(' '));
    const b2 = publicBundle(await generateIdentity(b.userId, 2));
    expect(safetyNumber(a, b2)).not.toBe(ab);
    expect(() => safetyNumber(a, a)).toThrow(/two different users/);
  });
});

describe('key-change detection', () => {
  it('pins on first use, warns on rotation, refuses conflicts and rollbacks', async () => {
    const id = randomUUID();
    const v1 = publicBundle(await generateIdentity(id, 1));
    const v2 = publicBundle(await generateIdentity(id, 2));
    expect(checkKeyChange(undefined, v1)).toEqual({ kind: 'first-seen' });
    expect(checkKeyChange(v1, v1)).toEqual({ kind: 'unchanged' });
    expect(checkKeyChange(v1, v2)).toEqual({ kind: 'rotated', from: 1, to: 2 });
    expect(checkKeyChange(v2, v1)).toEqual({ kind: 'rollback', pinned: 2, offered: 1 });
    expect(checkKeyChange(v1, { ...v2, keyVersion: 1 })).toEqual({ kind: 'conflict', keyVersion: 1 });
    expect(checkKeyChange(v1, { ...v1, keyVersion: 2 })).toEqual({ kind: 'conflict', keyVersion: 2 });
    const stranger = publicBundle(await generateIdentity(randomUUID()));
    expect(() => checkKeyChange(v1, stranger)).toThrow(/different users/);
  });
});
