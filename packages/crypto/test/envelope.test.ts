import { E2EE_LIMITS, SealedEnvelope } from '@im/contracts';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toHex, utf8 } from '../src/bytes.js';
import { encodeHeader } from '../src/envelope.js';
import {
  fromUtf8,
  generateIdentity,
  type IdentityKeys,
  nobleBackend,
  open,
  publicBundle,
  recipientKeyVersion,
  seal,
  toBase64Url,
  webCryptoBackend,
} from '../src/index.js';
import { aliceToBobAndCarol, cast } from './fixtures.js';
import { ALGS, BACKENDS, expectCode } from './helpers.js';

describe.each(BACKENDS)('seal/open on the $name backend', (backend) => {
  const opts = { backend };

  it.each(ALGS)(
    '%s: every recipient and the sender open it; the envelope is valid JSON of the schema',
    async (alg) => {
      const c = await cast(backend);
      const env = await seal(aliceToBobAndCarol(c, { alg }), opts);
      const wire = JSON.parse(JSON.stringify(env));
      expect(SealedEnvelope.parse(wire)).toEqual(env);
      expect(env.alg).toBe(alg);
      for (const me of [c.bob, c.carol, c.alice]) {
        const plaintext = await open(wire, { me, senderPublic: publicBundle(c.alice) }, opts);
        expect(fromUtf8(plaintext)).toBe('meet at the usual place');
      }
    },
  );

  it.each(ALGS)('%s: lists every user once, the sender included, sorted by userId', async (alg) => {
    const c = await cast(backend);
    const env = await seal(
      aliceToBobAndCarol(c, {
        alg,
        recipients: [
          publicBundle(c.carol),
          publicBundle(c.bob),
          publicBundle(c.carol),
          publicBundle(c.alice),
        ],
      }),
      opts,
    );
    const ids = env.recipients.map((r) => r.userId);
    expect(ids).toEqual([c.alice.userId, c.bob.userId, c.carol.userId].sort());
    expect(recipientKeyVersion(env, c.carol.userId)).toBe(7);
    expect(recipientKeyVersion(env, c.eve.userId)).toBeUndefined();
  });

  it('seals bytes of any size up to the limit, and refuses more', async () => {
    const c = await cast(backend);
    for (const size of [0, 1, 1024, E2EE_LIMITS.maxPlaintextBytes]) {
      const plaintext = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      const env = await seal(aliceToBobAndCarol(c, { plaintext }), opts);
      expect(await open(env, { me: c.bob, senderPublic: publicBundle(c.alice) }, opts)).toEqual(plaintext);
    }
    await expectCode(
      seal(aliceToBobAndCarol(c, { plaintext: new Uint8Array(E2EE_LIMITS.maxPlaintextBytes + 1) }), opts),
      'CRYPTO_INVALID_ARGUMENT',
    );
  });

  it('uses a fresh ephemeral key, nonce, content key and signature for every message', async () => {
    const c = await cast(backend);
    const input = aliceToBobAndCarol(c);
    const envelopes = await Promise.all(Array.from({ length: 40 }, () => seal(input, opts)));
    for (const field of ['epk', 'nonce', 'ciphertext', 'signature'] as const) {
      expect(new Set(envelopes.map((e) => e[field])).size, field).toBe(envelopes.length);
    }
    expect(new Set(envelopes.map((e) => e.recipients[0]?.wrapped)).size).toBe(envelopes.length);
  });

  it('a message for someone else cannot be opened', async () => {
    const c = await cast(backend);
    const env = await seal(aliceToBobAndCarol(c), opts);
    await expectCode(
      open(env, { me: c.eve, senderPublic: publicBundle(c.alice) }, opts),
      'CRYPTO_NOT_A_RECIPIENT',
    );
    // Eve relabels her own keys as Bob's (same user id and key version): the unwrap fails.
    const eveAsBob: IdentityKeys = { ...c.eve, userId: c.bob.userId, keyVersion: c.bob.keyVersion };
    await expectCode(
      open(env, { me: eveAsBob, senderPublic: publicBundle(c.alice) }, opts),
      'CRYPTO_DECRYPT_FAILED',
    );
  });

  it.each(ALGS)('%s: a forged sender (a valid signature by another key) is rejected', async (alg) => {
    const c = await cast(backend);
    // Mallory holds real keys of her own and claims to be Alice.
    const mallory = await generateIdentity(c.alice.userId, c.alice.keyVersion, opts);
    const forged = await seal(aliceToBobAndCarol(c, { alg, senderKeys: mallory }), opts);
    // The signature is valid under Mallory's key…
    expect(await open(forged, { me: c.bob, senderPublic: publicBundle(mallory) }, opts)).toBeInstanceOf(
      Uint8Array,
    );
    // …but Bob checks it against Alice's key from the directory.
    await expectCode(
      open(forged, { me: c.bob, senderPublic: publicBundle(c.alice) }, opts),
      'CRYPTO_BAD_SIGNATURE',
    );
  });

  it('needs the sender key the envelope names', async () => {
    const c = await cast(backend);
    const env = await seal(aliceToBobAndCarol(c), opts);
    await expectCode(
      open(env, { me: c.bob, senderPublic: publicBundle(c.carol) }, opts),
      'CRYPTO_WRONG_SENDER_KEY',
    );
    const aliceV2 = { ...publicBundle(c.alice), keyVersion: 2 };
    await expectCode(open(env, { me: c.bob, senderPublic: aliceV2 }, opts), 'CRYPTO_WRONG_SENDER_KEY');
  });

  it('refuses an envelope delivered under another conversation, sender or clientMsgId', async () => {
    const c = await cast(backend);
    const input = aliceToBobAndCarol(c);
    const env = await seal(input, opts);
    const base = { me: c.bob, senderPublic: publicBundle(c.alice) };
    const where = {
      conversationId: input.conversationId,
      senderId: c.alice.userId,
      clientMsgId: input.clientMsgId,
    };
    expect(fromUtf8(await open(env, { ...base, expected: where }, opts))).toBe('meet at the usual place');
    for (const field of ['conversationId', 'senderId', 'clientMsgId'] as const) {
      await expectCode(
        open(env, { ...base, expected: { ...where, [field]: c.eve.userId } }, opts),
        'CRYPTO_CONTEXT_MISMATCH',
      );
    }
  });

  it('opens with the key version the envelope names, from a keyring', async () => {
    const c = await cast(backend);
    const env = await seal(aliceToBobAndCarol(c), opts);
    const bobV3 = await generateIdentity(c.bob.userId, 3, opts);
    const senderPublic = publicBundle(c.alice);
    await expectCode(open(env, { me: bobV3, senderPublic }, opts), 'CRYPTO_KEY_VERSION_MISMATCH');
    expect(fromUtf8(await open(env, { me: [c.bob, bobV3], senderPublic }, opts))).toBe(
      'meet at the usual place',
    );
  });

  it('refuses bad arguments with typed errors', async () => {
    const c = await cast(backend);
    await expectCode(seal(aliceToBobAndCarol(c, { senderKeyVersion: 2 }), opts), 'CRYPTO_INVALID_ARGUMENT');
    await expectCode(
      seal(aliceToBobAndCarol(c, { senderId: c.bob.userId }), opts),
      'CRYPTO_INVALID_ARGUMENT',
    );
    await expectCode(
      seal(aliceToBobAndCarol(c, { conversationId: 'not-a-uuid' }), opts),
      'CRYPTO_INVALID_ARGUMENT',
    );
    const otherBob = publicBundle(await generateIdentity(c.bob.userId, c.bob.keyVersion, opts));
    await expectCode(
      seal(aliceToBobAndCarol(c, { recipients: [publicBundle(c.bob), otherBob] }), opts),
      'CRYPTO_INVALID_ARGUMENT',
    );
    const otherAlice = publicBundle(await generateIdentity(c.alice.userId, c.alice.keyVersion, opts));
    await expectCode(
      seal(aliceToBobAndCarol(c, { recipients: [otherAlice] }), opts),
      'CRYPTO_INVALID_ARGUMENT',
    );
    const smallOrder = { ...publicBundle(c.bob), x25519: toBase64Url(new Uint8Array(32)) };
    await expectCode(
      seal(aliceToBobAndCarol(c, { recipients: [smallOrder] }), opts),
      'CRYPTO_BAD_PUBLIC_KEY',
    );
    await expectCode(
      seal(aliceToBobAndCarol(c, { recipients: [{ ...publicBundle(c.bob), x25519: 'short' }] }), opts),
      'CRYPTO_MALFORMED',
    );
    await expectCode(
      // @ts-expect-error an algorithm the type does not allow, as untyped callers could pass
      seal(aliceToBobAndCarol(c, { alg: 'AES-128-CBC' }), opts),
      'CRYPTO_UNSUPPORTED_ALG',
    );
  });

  it('refuses unknown versions and algorithms by name', async () => {
    const c = await cast(backend);
    const env = await seal(aliceToBobAndCarol(c), opts);
    const ctx = { me: c.bob, senderPublic: publicBundle(c.alice) };
    await expectCode(open({ ...env, v: 2 }, ctx, opts), 'CRYPTO_UNSUPPORTED_VERSION');
    await expectCode(open({ ...env, v: 0 }, ctx, opts), 'CRYPTO_UNSUPPORTED_VERSION');
    await expectCode(open({ ...env, alg: 'AES-128-GCM' }, ctx, opts), 'CRYPTO_UNSUPPORTED_ALG');
    await expectCode(open({ ...env, alg: 'toString' }, ctx, opts), 'CRYPTO_UNSUPPORTED_ALG');
    const { v: _v, ...noVersion } = env;
    await expectCode(open(noVersion, ctx, opts), 'CRYPTO_MALFORMED');
    await expectCode(open('{}', ctx, opts), 'CRYPTO_MALFORMED');
    await expectCode(open(null, ctx, opts), 'CRYPTO_MALFORMED');
  });
});

describe('the two backends interoperate', () => {
  it.each(ALGS)('%s: sealed on one backend with its keys, opened on the other', async (alg) => {
    for (const [a, b] of [
      [webCryptoBackend, nobleBackend],
      [nobleBackend, webCryptoBackend],
    ] as const) {
      const c = await cast(a);
      const env = await seal(aliceToBobAndCarol(c, { alg }), { backend: a });
      const plaintext = await open(env, { me: c.carol, senderPublic: publicBundle(c.alice) }, { backend: b });
      expect(fromUtf8(plaintext)).toBe('meet at the usual place');
    }
  });
});

describe('the canonical header (docs/crypto.md)', () => {
  it('is laid out byte for byte as documented', () => {
    const epk = Uint8Array.from({ length: 32 }, (_, i) => i);
    const header = encodeHeader({
      v: 1,
      alg: 'AES-256-GCM',
      conversationId: 'c',
      senderId: 'se',
      senderKeyVersion: 258,
      clientMsgId: 'm',
      epk,
      recipients: [
        { userId: 'a', keyVersion: 1 },
        { userId: 'b', keyVersion: 0x01020304 },
      ],
    });
    const str = (s: string) => toHex(Uint8Array.of(0, s.length)) + toHex(utf8(s));
    expect(toHex(header)).toBe(
      str('im-e2ee/v1/header') +
        '01' +
        str('AES-256-GCM') +
        str('c') +
        str('se') +
        '00000102' +
        str('m') +
        toHex(epk) +
        '0002' +
        str('a') +
        '00000001' +
        str('b') +
        '01020304',
    );
  });

  it('binds the real envelope: its header re-encodes from the envelope fields alone', async () => {
    const c = await cast(webCryptoBackend);
    const env = await seal(aliceToBobAndCarol(c), { backend: webCryptoBackend });
    const header = encodeHeader({ ...env, epk: fromBase64Url(env.epk) });
    expect(fromUtf8(header.subarray(2, 19))).toBe('im-e2ee/v1/header');
    expect(header.length).toBe(
      2 + 17 + 1 + 2 + 11 + 3 * (2 + 36) + 4 + 32 + 2 + env.recipients.length * (2 + 36 + 4),
    );
  });
});
