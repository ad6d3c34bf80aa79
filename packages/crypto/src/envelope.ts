import {
  E2EE_LIMITS,
  ENVELOPE_VERSION,
  EnvelopeAlg,
  type PublicKeyBundle,
  SealedEnvelope,
} from '@im/contracts';
import type { CurveBackend } from './backend.js';
import {
  ByteWriter,
  compareBytes,
  equalBytes,
  fromBase64Url,
  randomBytes,
  toBase64Url,
  utf8,
} from './bytes.js';
import { CryptoError } from './errors.js';
import {
  type BackendOption,
  type DecodedBundle,
  decodeBundle,
  type IdentityKeys,
  resolveBackend,
} from './identity.js';
import { AEAD_PARAMS, aeadDecrypt, aeadEncrypt, hkdfSha256, sha256 } from './primitives.js';

/**
 * Sealed envelopes, format version 1 (docs/crypto.md has the byte-exact layout).
 *
 * seal:
 *   1. A fresh random 32-byte content key K and a fresh random nonce N (12 bytes
 *      for AES-256-GCM, 24 for XChaCha20-Poly1305).
 *   2. A fresh ephemeral X25519 key pair (epk) for this message.
 *   3. header = canonical encoding of (v, alg, conversationId, senderId,
 *      senderKeyVersion, clientMsgId, epk, sorted recipients (userId, keyVersion)).
 *   4. ciphertext = AEAD_alg(K, N, plaintext, associatedData = header).
 *   5. For each recipient user (the sender included): okm = HKDF-SHA256(
 *      X25519(ephemeral, recipient.x25519), salt = empty, info = wrapInfo), then
 *      wrapped = AEAD_alg(okm[0..32], okm[32..], K, associatedData = empty).
 *   6. signature = Ed25519(sender, signatureInput(header, wrapped keys, N, ciphertext)).
 *
 * Why a nonce never repeats under a key: every content key is fresh random and
 * encrypts exactly one plaintext, so even a repeated nonce could not meet the
 * same key twice; the nonce is also fresh random on top of that (2^-96 or
 * 2^-192 collision odds). Every wrapping key comes out of HKDF over a fresh
 * ephemeral X25519 secret and the recipient's identity, so it too is used once,
 * which is why its nonce may be derived alongside it.
 *
 * open verifies the signature under the sender's directory key before any
 * decryption, then unwraps K with the opener's private key and decrypts.
 */

const LABEL_HEADER = 'im-e2ee/v1/header';
const LABEL_WRAP = 'im-e2ee/v1/wrap';
const LABEL_SIGNATURE = 'im-e2ee/v1/signature';

const CONTENT_KEY_BYTES = 32;
const EMPTY = new Uint8Array(0);

export interface HeaderFields {
  v: number;
  alg: EnvelopeAlg;
  conversationId: string;
  senderId: string;
  senderKeyVersion: number;
  clientMsgId: string;
  epk: Uint8Array;
  recipients: readonly { userId: string; keyVersion: number }[];
}

/** The canonical header: the AEAD associated data of the body, hashed into every wrap and signed. */
export function encodeHeader(h: HeaderFields): Uint8Array {
  const w = new ByteWriter()
    .str(LABEL_HEADER)
    .u8(h.v)
    .str(h.alg)
    .str(h.conversationId)
    .str(h.senderId)
    .u32(h.senderKeyVersion)
    .str(h.clientMsgId)
    .fixed(h.epk, 32)
    .u16(h.recipients.length);
  for (const r of h.recipients) w.str(r.userId).u32(r.keyVersion);
  return w.finish();
}

/** HKDF `info` of one recipient's wrapping key. */
export function wrapInfo(
  epk: Uint8Array,
  recipientPublicKey: Uint8Array,
  headerHash: Uint8Array,
  recipient: { userId: string; keyVersion: number },
): Uint8Array {
  return new ByteWriter()
    .str(LABEL_WRAP)
    .fixed(epk, 32)
    .fixed(recipientPublicKey, 32)
    .fixed(headerHash, 32)
    .str(recipient.userId)
    .u32(recipient.keyVersion)
    .finish();
}

/** The bytes the sender signs: everything in the envelope except the signature itself. */
export function signatureInput(
  header: Uint8Array,
  wrapped: readonly Uint8Array[],
  nonce: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const w = new ByteWriter().str(LABEL_SIGNATURE).bytes(header);
  for (const k of wrapped) w.fixed(k, CONTENT_KEY_BYTES + 16);
  return w.bytes(nonce).bytes(ciphertext).finish();
}

async function wrappingKey(
  alg: EnvelopeAlg,
  shared: Uint8Array,
  info: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  const okm = await hkdfSha256(shared, EMPTY, info, 32 + AEAD_PARAMS[alg].nonceBytes);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

const byUserId = (a: { userId: string }, b: { userId: string }) =>
  compareBytes(utf8(a.userId), utf8(b.userId));

function algOf(alg: unknown): EnvelopeAlg {
  const parsed = EnvelopeAlg.safeParse(alg);
  if (!parsed.success) {
    throw new CryptoError('CRYPTO_UNSUPPORTED_ALG', `Unsupported algorithm: ${String(alg)}`, { alg });
  }
  return parsed.data;
}

export interface SealInput {
  /** Body AEAD; default AES-256-GCM. */
  alg?: EnvelopeAlg;
  conversationId: string;
  senderId: string;
  senderKeyVersion: number;
  clientMsgId: string;
  /** Bytes, or a string sealed as its UTF-8 encoding. */
  plaintext: Uint8Array | string;
  /** Directory bundles of every recipient user. The sender's own bundle is added if absent. */
  recipients: readonly PublicKeyBundle[];
  /** The sender's identity: signs the envelope. Must match senderId and senderKeyVersion. */
  senderKeys: IdentityKeys;
}

/** Seals a message for every recipient user and the sender (see the module comment for the scheme). */
export async function seal(input: SealInput, options?: BackendOption): Promise<SealedEnvelope> {
  const backend = await resolveBackend(options);
  const alg = algOf(input.alg ?? 'AES-256-GCM');
  const { senderKeys } = input;
  if (senderKeys.userId !== input.senderId || senderKeys.keyVersion !== input.senderKeyVersion) {
    throw new CryptoError(
      'CRYPTO_INVALID_ARGUMENT',
      'senderKeys do not belong to senderId / senderKeyVersion',
    );
  }
  const plaintext = typeof input.plaintext === 'string' ? utf8(input.plaintext) : input.plaintext;
  if (plaintext.length > E2EE_LIMITS.maxPlaintextBytes) {
    throw new CryptoError(
      'CRYPTO_INVALID_ARGUMENT',
      `plaintext is ${plaintext.length} bytes; the limit is ${E2EE_LIMITS.maxPlaintextBytes}`,
    );
  }
  const recipients = recipientSet(input.recipients, senderKeys);

  const ephemeral = await backend.x25519Ephemeral();
  const header = encodeHeader({
    v: ENVELOPE_VERSION,
    alg,
    conversationId: input.conversationId,
    senderId: input.senderId,
    senderKeyVersion: input.senderKeyVersion,
    clientMsgId: input.clientMsgId,
    epk: ephemeral.publicKey,
    recipients,
  });
  const headerHash = sha256(header);

  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  const nonce = randomBytes(AEAD_PARAMS[alg].nonceBytes);
  try {
    const ciphertext = await aeadEncrypt(alg, contentKey, nonce, plaintext, header);
    const wrapped = await Promise.all(
      recipients.map(async (r) => {
        const shared = await ephemeral.agree(r.x25519);
        const wk = await wrappingKey(alg, shared, wrapInfo(ephemeral.publicKey, r.x25519, headerHash, r));
        return aeadEncrypt(alg, wk.key, wk.nonce, contentKey, EMPTY);
      }),
    );
    const signature = await backend.ed25519Sign(
      senderKeys.ed25519.secretKey,
      signatureInput(header, wrapped, nonce, ciphertext),
    );
    const envelope = {
      v: ENVELOPE_VERSION,
      alg,
      conversationId: input.conversationId,
      senderId: input.senderId,
      senderKeyVersion: input.senderKeyVersion,
      clientMsgId: input.clientMsgId,
      epk: toBase64Url(ephemeral.publicKey),
      recipients: recipients.map((r, i) => ({
        userId: r.userId,
        keyVersion: r.keyVersion,
        wrapped: toBase64Url(wrapped[i] as Uint8Array),
      })),
      nonce: toBase64Url(nonce),
      ciphertext: toBase64Url(ciphertext),
      signature: toBase64Url(signature),
    };
    const parsed = SealedEnvelope.safeParse(envelope);
    if (!parsed.success) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'the arguments do not make a valid envelope', {
        issues: parsed.error.issues,
      });
    }
    return parsed.data;
  } finally {
    contentKey.fill(0);
  }
}

/** The recipients, one per user, the sender included, in canonical order. */
function recipientSet(bundles: readonly PublicKeyBundle[], senderKeys: IdentityKeys): DecodedBundle[] {
  const byUser = new Map<string, DecodedBundle>();
  const sender: DecodedBundle = {
    userId: senderKeys.userId,
    keyVersion: senderKeys.keyVersion,
    x25519: senderKeys.x25519.publicKey,
    ed25519: senderKeys.ed25519.publicKey,
  };
  byUser.set(sender.userId, sender);
  for (const bundle of bundles) {
    const b = decodeBundle(bundle);
    const seen = byUser.get(b.userId);
    if (seen === undefined) {
      byUser.set(b.userId, b);
    } else if (
      seen.keyVersion !== b.keyVersion ||
      !equalBytes(seen.x25519, b.x25519) ||
      !equalBytes(seen.ed25519, b.ed25519)
    ) {
      throw new CryptoError(
        'CRYPTO_INVALID_ARGUMENT',
        b.userId === sender.userId
          ? "the sender's bundle in recipients differs from senderKeys"
          : `two different bundles for recipient ${b.userId}`,
      );
    }
  }
  if (byUser.size > E2EE_LIMITS.maxRecipients) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', `more than ${E2EE_LIMITS.maxRecipients} recipients`);
  }
  return [...byUser.values()].sort(byUserId);
}

// ---- open ----------------------------------------------------------------------

export interface OpenContext {
  /**
   * The opening user's identity, or their whole keyring (every key version,
   * as `openBackup` returns it): the version the envelope names is used.
   */
  me: IdentityKeys | readonly IdentityKeys[];
  /** The sender's public keys from the key directory, at the envelope's senderKeyVersion. */
  senderPublic: PublicKeyBundle;
  /**
   * Where the message was delivered (the stored message's fields). Any field
   * given must equal the envelope's signed one, or `CRYPTO_CONTEXT_MISMATCH`:
   * this stops a server or member replaying a valid envelope into another
   * conversation or under another message. Clients should always pass
   * `conversationId`.
   */
  expected?: { conversationId?: string; senderId?: string; clientMsgId?: string };
}

/** Refuses unknown versions and algorithms by name before the schema would call them malformed. */
export function parseEnvelope(raw: unknown): SealedEnvelope {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CryptoError('CRYPTO_MALFORMED', 'an envelope is a JSON object');
  }
  const { v, alg } = raw as Record<string, unknown>;
  if (typeof v !== 'number') throw new CryptoError('CRYPTO_MALFORMED', 'the envelope has no version');
  if (v !== ENVELOPE_VERSION) {
    throw new CryptoError('CRYPTO_UNSUPPORTED_VERSION', `Unsupported envelope version ${v}`, { v });
  }
  if (typeof alg !== 'string') throw new CryptoError('CRYPTO_MALFORMED', 'the envelope has no alg');
  algOf(alg);
  const parsed = SealedEnvelope.safeParse(raw);
  if (!parsed.success) {
    throw new CryptoError('CRYPTO_MALFORMED', 'not a valid envelope', { issues: parsed.error.issues });
  }
  return parsed.data;
}

/**
 * Opens an envelope: checks the format, verifies the sender's signature against
 * `senderPublic` BEFORE any decryption, finds the opener among the recipients,
 * unwraps the content key and decrypts. Every failure is a `CryptoError`.
 */
export async function open(raw: unknown, ctx: OpenContext, options?: BackendOption): Promise<Uint8Array> {
  const backend = await resolveBackend(options);
  const env = parseEnvelope(raw);
  const alg = env.alg;

  for (const field of ['conversationId', 'senderId', 'clientMsgId'] as const) {
    const want = ctx.expected?.[field];
    if (want !== undefined && want !== env[field]) {
      throw new CryptoError(
        'CRYPTO_CONTEXT_MISMATCH',
        `the envelope's ${field} is not the one it was delivered with`,
        {
          field,
        },
      );
    }
  }

  const sender = decodeBundle(ctx.senderPublic);
  if (sender.userId !== env.senderId || sender.keyVersion !== env.senderKeyVersion) {
    throw new CryptoError(
      'CRYPTO_WRONG_SENDER_KEY',
      `the envelope is signed by ${env.senderId} key version ${env.senderKeyVersion}; fetch that key from the directory`,
      { senderId: env.senderId, senderKeyVersion: env.senderKeyVersion },
    );
  }

  const epk = fromBase64Url(env.epk, 'epk', 32);
  const nonce = fromBase64Url(env.nonce, 'nonce', AEAD_PARAMS[alg].nonceBytes);
  const ciphertext = fromBase64Url(env.ciphertext, 'ciphertext');
  const signature = fromBase64Url(env.signature, 'signature', 64);
  const wrapped = env.recipients.map((r) => fromBase64Url(r.wrapped, 'wrapped key', CONTENT_KEY_BYTES + 16));
  env.recipients.forEach((r, i) => {
    const previous = env.recipients[i - 1];
    if (previous !== undefined && byUserId(previous, r) >= 0) {
      throw new CryptoError('CRYPTO_MALFORMED', 'recipients must be unique and sorted by userId');
    }
  });
  const header = encodeHeader({ ...env, epk });

  const signed = signatureInput(header, wrapped, nonce, ciphertext);
  if (!(await backend.ed25519Verify(sender.ed25519, signed, signature))) {
    throw new CryptoError('CRYPTO_BAD_SIGNATURE');
  }

  const me = pickKeys(ctx.me);
  const index = env.recipients.findIndex((r) => r.userId === me.userId);
  const entry = env.recipients[index];
  if (entry === undefined) throw new CryptoError('CRYPTO_NOT_A_RECIPIENT');
  const keys = keyForVersion(ctx.me, entry.keyVersion);

  const contentKey = await unwrap(
    backend,
    alg,
    keys,
    epk,
    sha256(header),
    entry,
    wrapped[index] as Uint8Array,
  );
  try {
    return await aeadDecrypt(alg, contentKey, nonce, ciphertext, header);
  } finally {
    contentKey.fill(0);
  }
}

function pickKeys(me: IdentityKeys | readonly IdentityKeys[]): IdentityKeys {
  const list: readonly IdentityKeys[] = isKeyring(me) ? me : [me];
  const first = list[0];
  if (first === undefined) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'the keyring is empty');
  if (list.some((k) => k.userId !== first.userId)) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'the keyring mixes users');
  }
  return first;
}

function isKeyring(me: IdentityKeys | readonly IdentityKeys[]): me is readonly IdentityKeys[] {
  return Array.isArray(me);
}

function keyForVersion(me: IdentityKeys | readonly IdentityKeys[], keyVersion: number): IdentityKeys {
  const list: readonly IdentityKeys[] = isKeyring(me) ? me : [me];
  const keys = list.find((k) => k.keyVersion === keyVersion);
  if (keys === undefined) {
    throw new CryptoError(
      'CRYPTO_KEY_VERSION_MISMATCH',
      `the message was sealed for your key version ${keyVersion}; restore that key from your backup`,
      { keyVersion, have: list.map((k) => k.keyVersion) },
    );
  }
  return keys;
}

async function unwrap(
  backend: CurveBackend,
  alg: EnvelopeAlg,
  keys: IdentityKeys,
  epk: Uint8Array,
  headerHash: Uint8Array,
  entry: { userId: string; keyVersion: number },
  wrapped: Uint8Array,
): Promise<Uint8Array> {
  let shared: Uint8Array;
  try {
    shared = await backend.x25519(keys.x25519.secretKey, epk);
  } catch (err) {
    // A small-order epk can only come from a broken or hostile sender: nothing to decrypt.
    throw new CryptoError('CRYPTO_DECRYPT_FAILED', 'the ephemeral key is invalid', undefined, { cause: err });
  }
  const wk = await wrappingKey(alg, shared, wrapInfo(epk, keys.x25519.publicKey, headerHash, entry));
  const contentKey = await aeadDecrypt(alg, wk.key, wk.nonce, wrapped, EMPTY);
  if (contentKey.length !== CONTENT_KEY_BYTES) throw new CryptoError('CRYPTO_DECRYPT_FAILED');
  return contentKey;
}

/** The key version of `userId` an envelope was sealed for, or undefined when they are not a recipient. */
export function recipientKeyVersion(envelope: SealedEnvelope, userId: string): number | undefined {
  return envelope.recipients.find((r) => r.userId === userId)?.keyVersion;
}
