import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, fromBase64Url, toBase64Url, toHex } from '../src/bytes.js';
import { CryptoError } from '../src/errors.js';

describe('base64url', () => {
  it('round-trips every length from 0 to 70 bytes, unpadded', () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = toBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(text.length).toBe(Math.ceil((n * 4) / 3));
      expect(fromBase64Url(text)).toEqual(bytes);
    }
  });

  it('accepts only the canonical spelling (unused low bits must be zero)', () => {
    expect(toBase64Url(Uint8Array.of(0xff))).toBe('_w');
    expect(() => fromBase64Url('_x')).toThrow(CryptoError);
    expect(() => fromBase64Url('_w=')).toThrow(CryptoError);
    expect(() => fromBase64Url('_w+')).toThrow(CryptoError);
    expect(() => fromBase64Url('abcde')).toThrow(CryptoError);
  });

  it('checks the decoded length when one is expected', () => {
    expect(() => fromBase64Url(toBase64Url(new Uint8Array(31)), 'key', 32)).toThrow(/must be 32 bytes/);
  });
});

describe('ByteWriter / ByteReader', () => {
  it('writes big-endian integers, u16-prefixed UTF-8 strings and u32-prefixed byte strings', () => {
    const out = new ByteWriter()
      .u8(1)
      .u16(0x0203)
      .u32(0x04050607)
      .str('é')
      .bytes(Uint8Array.of(9))
      .fixed(Uint8Array.of(0xaa, 0xbb), 2)
      .finish();
    expect(toHex(out)).toBe(`01` + `0203` + `04050607` + `0002c3a9` + `0000000109` + `aabb`);
    const r = new ByteReader(out);
    expect([r.u8(), r.u16(), r.u32()]).toEqual([1, 0x0203, 0x04050607]);
  });

  it('refuses values that do not fit and reads past the end', () => {
    expect(() => new ByteWriter().u16(0x10000)).toThrow(CryptoError);
    expect(() => new ByteWriter().u32(-1)).toThrow(CryptoError);
    expect(() => new ByteWriter().fixed(new Uint8Array(3), 2)).toThrow(CryptoError);
    expect(() => new ByteReader(Uint8Array.of(1)).u16()).toThrow(CryptoError);
    expect(new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff)).u32()).toBe(0xffffffff);
  });
});
