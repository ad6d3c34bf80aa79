import type { SealedEnvelope } from '@im/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../src/bytes.js';
import { encodeHeader, signatureInput } from '../src/envelope.js';
import { type CryptoErrorCode, open, publicBundle, seal } from '../src/index.js';
import { aliceToBobAndCarol, type Cast, cast } from './fixtures.js';
import { ALGS, BACKENDS, flip, rejection } from './helpers.js';

/**
 * Every single-byte change of an envelope must be rejected. Each binary part is
 * changed at every byte position with eight single-bit flips and a full
 * inversion; each text field at every character; each number and the list
 * structure too. A second pass re-signs every change with the real sender's
 * key, to show that the AEAD associated data and the HKDF info catch the
 * change on their own (the signature is not the only thing standing).
 */

const MASKS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff];

type Binary = {
  name: string;
  get: (e: SealedEnvelope) => string;
  set: (e: SealedEnvelope, v: string) => SealedEnvelope;
};

function binaryParts(env: SealedEnvelope): Binary[] {
  const parts: Binary[] = [
    { name: 'epk', get: (e) => e.epk, set: (e, epk) => ({ ...e, epk }) },
    { name: 'nonce', get: (e) => e.nonce, set: (e, nonce) => ({ ...e, nonce }) },
    {
      name: 'ciphertext (body and tag)',
      get: (e) => e.ciphertext,
      set: (e, ciphertext) => ({ ...e, ciphertext }),
    },
    { name: 'signature', get: (e) => e.signature, set: (e, signature) => ({ ...e, signature }) },
  ];
  env.recipients.forEach((_, i) => {
    parts.push({
      name: `recipients[${i}].wrapped`,
      get: (e) => (e.recipients[i] as SealedEnvelope['recipients'][number]).wrapped,
      set: (e, wrapped) => ({
        ...e,
        recipients: e.recipients.map((r, j) => (j === i ? { ...r, wrapped } : r)),
      }),
    });
  });
  return parts;
}

/** Every envelope that differs from `env` in exactly one byte of one binary part. */
function* byteChanges(env: SealedEnvelope): Generator<{ what: string; env: SealedEnvelope }> {
  for (const part of binaryParts(env)) {
    const bytes = fromBase64Url(part.get(env));
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of MASKS) {
        yield { what: `${part.name}[${i}]^${mask}`, env: part.set(env, toBase64Url(flip(bytes, i, mask))) };
      }
    }
  }
}

const HEX = '0123456789abcdef';
/** Each character of a UUID string changed to another hex digit, or to its upper case. */
function* charChanges(value: string): Generator<string> {
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const replacements = ch === '-' ? ['0'] : [HEX[(HEX.indexOf(ch) + 1) % 16] as string, ch.toUpperCase()];
    for (const r of replacements) if (r !== ch) yield value.slice(0, i) + r + value.slice(i + 1);
  }
}

describe.each(BACKENDS)('tampering on the $name backend', (backend) => {
  const opts = { backend };

  describe.each(ALGS)('%s', (alg) => {
    let c: Cast;
    let env: SealedEnvelope;
    const openAsBob = (e: unknown, senderPublic = publicBundle(c.alice)) =>
      open(e, { me: c.bob, senderPublic }, opts);

    async function rejectedWith(e: unknown, senderPublic = publicBundle(c.alice)): Promise<CryptoErrorCode> {
      return (await rejection(openAsBob(e, senderPublic))).code;
    }

    beforeAll(async () => {
      c = await cast(backend);
      env = await seal(aliceToBobAndCarol(c, { alg, plaintext: 'the eagle lands at dawn' }), opts);
    });

    it('opens the untouched envelope', async () => {
      expect(new TextDecoder().decode(await openAsBob(env))).toBe('the eagle lands at dawn');
    });

    it('rejects every single-byte change of epk, nonce, ciphertext, tag, each wrapped key and the signature', async () => {
      const codes = new Map<CryptoErrorCode, number>();
      let count = 0;
      for (const change of byteChanges(env)) {
        const code = await rejectedWith(change.env);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        count++;
      }
      // 32 epk + nonce + (23 body + 16 tag) + 64 signature + 3 × 48 wrapped, times 9 changes each.
      const nonceBytes = alg === 'AES-256-GCM' ? 12 : 24;
      expect(count).toBe((32 + nonceBytes + 39 + 64 + 3 * 48) * MASKS.length);
      expect(Object.fromEntries(codes)).toEqual({ CRYPTO_BAD_SIGNATURE: count });
    });

    it('rejects every base64url character change of every binary field', async () => {
      const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      let count = 0;
      let chars = 0;
      for (const part of binaryParts(env)) {
        const text = part.get(env);
        chars += text.length;
        for (let i = 0; i < text.length; i++) {
          const next = ALPHABET[(ALPHABET.indexOf(text[i] as string) + 1) % 64] as string;
          const code = await rejectedWith(part.set(env, text.slice(0, i) + next + text.slice(i + 1)));
          // A change in the unused low bits of the last character is not canonical base64url.
          expect(['CRYPTO_BAD_SIGNATURE', 'CRYPTO_MALFORMED']).toContain(code);
          count++;
        }
      }
      expect(count).toBe(chars);
    });

    it('rejects every character change of conversationId, clientMsgId, senderId and each recipient userId', async () => {
      // A changed character that breaks the UUID form (version or variant digit) is refused by the schema.
      const codes = new Map<CryptoErrorCode, number>();
      const tally = (code: CryptoErrorCode) => codes.set(code, (codes.get(code) ?? 0) + 1);
      for (const value of charChanges(env.conversationId))
        tally(await rejectedWith({ ...env, conversationId: value }));
      for (const value of charChanges(env.clientMsgId))
        tally(await rejectedWith({ ...env, clientMsgId: value }));
      for (const value of charChanges(env.senderId)) {
        // With the directory key the envelope names, and with the same keys relabelled to the changed id.
        expect(['CRYPTO_WRONG_SENDER_KEY', 'CRYPTO_MALFORMED']).toContain(
          await rejectedWith({ ...env, senderId: value }),
        );
        tally(await rejectedWith({ ...env, senderId: value }, { ...publicBundle(c.alice), userId: value }));
      }
      for (const [i, r] of env.recipients.entries()) {
        for (const value of charChanges(r.userId)) {
          // A changed id may also break the canonical order of the list: refused as malformed.
          tally(
            await rejectedWith({
              ...env,
              recipients: env.recipients.map((x, j) => (j === i ? { ...x, userId: value } : x)),
            }),
          );
        }
      }
      expect([...codes.keys()].sort()).toEqual(['CRYPTO_BAD_SIGNATURE', 'CRYPTO_MALFORMED']);
      // 6 UUIDs × (32 hex digits × 2 changes (the upper-case one only for a–f) + 4 dashes).
      expect(codes.get('CRYPTO_BAD_SIGNATURE')).toBeGreaterThan(6 * 32);
    });

    it('rejects changed numbers, algorithm, version and recipient list', async () => {
      const aliceAt = (keyVersion: number) => ({ ...publicBundle(c.alice), keyVersion });
      const v = c.alice.keyVersion;
      for (const keyVersion of [v + 1, v + 2]) {
        expect(await rejectedWith({ ...env, senderKeyVersion: keyVersion })).toBe('CRYPTO_WRONG_SENDER_KEY');
        expect(await rejectedWith({ ...env, senderKeyVersion: keyVersion }, aliceAt(keyVersion))).toBe(
          'CRYPTO_BAD_SIGNATURE',
        );
      }
      for (const [i, r] of env.recipients.entries()) {
        for (const keyVersion of [r.keyVersion + 1, r.keyVersion - 1]) {
          const recipients = env.recipients.map((x, j) => (j === i ? { ...x, keyVersion } : x));
          expect(['CRYPTO_BAD_SIGNATURE', 'CRYPTO_MALFORMED']).toContain(
            await rejectedWith({ ...env, recipients }),
          );
        }
      }
      expect(await rejectedWith({ ...env, v: 2 })).toBe('CRYPTO_UNSUPPORTED_VERSION');
      const otherAlg = alg === 'AES-256-GCM' ? 'XChaCha20-Poly1305' : 'AES-256-GCM';
      expect(await rejectedWith({ ...env, alg: otherAlg })).toBe('CRYPTO_MALFORMED');
      const [first, second, third] = env.recipients;
      if (!first || !second || !third) throw new Error('expected three recipients');
      const withoutBob = env.recipients.filter((r) => r.userId !== c.bob.userId);
      const bobsEntry = env.recipients.find((r) => r.userId === c.bob.userId);
      const lists = {
        reordered: [second, first, third],
        duplicated: [first, first, second, third],
        dropped: bobsEntry === first ? [first, second] : [first, bobsEntry ?? first],
        'Eve added with a copy of a wrapped key': [
          ...env.recipients,
          { ...third, userId: 'ffffffff-ffff-4fff-bfff-ffffffffffff' },
        ],
      };
      for (const [what, recipients] of Object.entries(lists)) {
        const code = await rejectedWith({ ...env, recipients });
        expect(['CRYPTO_BAD_SIGNATURE', 'CRYPTO_MALFORMED'], what).toContain(code);
      }
      expect(await rejectedWith({ ...env, recipients: withoutBob })).toBe('CRYPTO_BAD_SIGNATURE');
    });

    it('with a valid signature re-made by the sender, the AEAD and HKDF still catch every change', async () => {
      const resign = async (e: SealedEnvelope): Promise<SealedEnvelope> => {
        const header = encodeHeader({ ...e, epk: fromBase64Url(e.epk) });
        const input = signatureInput(
          header,
          e.recipients.map((r) => fromBase64Url(r.wrapped)),
          fromBase64Url(e.nonce),
          fromBase64Url(e.ciphertext),
        );
        return { ...e, signature: toBase64Url(await backend.ed25519Sign(c.alice.ed25519.secretKey, input)) };
      };
      const bobIndex = env.recipients.findIndex((r) => r.userId === c.bob.userId);
      let count = 0;
      for (const part of binaryParts(env)) {
        if (
          part.name === 'signature' ||
          (part.name.startsWith('recipients[') && !part.name.includes(`[${bobIndex}]`))
        ) {
          continue; // the signature is re-made; other people's wrapped keys are not Bob's business
        }
        const bytes = fromBase64Url(part.get(env));
        for (let i = 0; i < bytes.length; i++) {
          const code = await rejectedWith(await resign(part.set(env, toBase64Url(flip(bytes, i, 0x01)))));
          expect(code, `${part.name}[${i}]`).toBe('CRYPTO_DECRYPT_FAILED');
          count++;
        }
      }
      expect(count).toBeGreaterThan(100);
      // Header fields are associated data of the body and hashed into every wrap.
      const headerChanges: SealedEnvelope[] = [
        ...[...charChanges(env.conversationId)].map((conversationId) => ({ ...env, conversationId })),
        ...[...charChanges(env.clientMsgId)].slice(0, 8).map((clientMsgId) => ({ ...env, clientMsgId })),
        ...env.recipients
          .filter((r) => r.userId !== c.bob.userId)
          .map((r) => ({
            ...env,
            recipients: env.recipients.map((x) => (x === r ? { ...x, keyVersion: x.keyVersion + 1 } : x)),
          })),
      ];
      let decryptFailures = 0;
      for (const changed of headerChanges) {
        const code = await rejectedWith(await resign(changed));
        expect(['CRYPTO_DECRYPT_FAILED', 'CRYPTO_MALFORMED']).toContain(code);
        if (code === 'CRYPTO_DECRYPT_FAILED') decryptFailures++;
      }
      expect(decryptFailures).toBeGreaterThan(32);
    });
  });
});
