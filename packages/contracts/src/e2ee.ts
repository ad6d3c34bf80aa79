import { z } from 'zod';
import { Id } from './common.js';

/**
 * End-to-end encryption formats (docs/crypto.md). The server validates these by
 * shape and size only and never by content: it cannot open an envelope or a key
 * backup. They are produced and opened by @im/crypto.
 *
 * Every binary field is base64url without padding (RFC 4648 §5).
 */
const B64 = z.string().regex(/^[A-Za-z0-9_-]*$/, 'base64url without padding');

/** Length in characters of `n` bytes in unpadded base64url. */
export function base64UrlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}
const B64Bytes = (bytes: number) => B64.length(base64UrlLength(bytes));

/** Version of the envelope format. A change of any byte layout in docs/crypto.md is a new version. */
export const ENVELOPE_VERSION = 1;

export const E2EE_LIMITS = {
  /** Largest plaintext a single envelope may carry (bigger payloads go as encrypted attachments). */
  maxPlaintextBytes: 64 * 1024,
  /** Most users one envelope is wrapped for, the sender included. */
  maxRecipients: 1001,
  /** Most key versions one key backup holds. */
  maxBackupKeys: 64,
} as const;

/** The AEAD of an envelope's body and key wraps. */
export const EnvelopeAlg = z.enum(['AES-256-GCM', 'XChaCha20-Poly1305']);
export type EnvelopeAlg = z.infer<typeof EnvelopeAlg>;

/** Nonce size of each `EnvelopeAlg`, in bytes. */
export const ENVELOPE_NONCE_BYTES = {
  'AES-256-GCM': 12,
  'XChaCha20-Poly1305': 24,
} as const satisfies Record<EnvelopeAlg, number>;
const AEAD_TAG_BYTES = 16;

/** A user's key version: 1, 2, 3 … raised on every key change (a u32 on the wire). */
export const KeyVersion = z.number().int().min(1).max(0xffffffff);
export type KeyVersion = z.infer<typeof KeyVersion>;

/** 32-byte X25519 or Ed25519 public key. */
const PublicKey = B64Bytes(32);

/**
 * A user's public keys as the key directory serves them. A key change gets a
 * higher `keyVersion`; clients pin what they have seen and warn when it changes.
 */
export const PublicKeyBundle = z
  .object({
    userId: Id,
    keyVersion: KeyVersion,
    /** X25519 key-agreement public key. */
    x25519: PublicKey,
    /** Ed25519 signing public key. */
    ed25519: PublicKey,
  })
  .meta({ id: 'PublicKeyBundle' });
export type PublicKeyBundle = z.infer<typeof PublicKeyBundle>;

/** The message's content key sealed for one recipient user. */
export const WrappedKey = z.object({
  userId: Id,
  /** Version of the recipient's key the content key was wrapped for. */
  keyVersion: KeyVersion,
  /** The 32-byte content key sealed with the envelope's `alg`, tag included (48 bytes). */
  wrapped: B64Bytes(32 + AEAD_TAG_BYTES),
});
export type WrappedKey = z.infer<typeof WrappedKey>;

/** The sealed message envelope, version 1. Byte-exact format: docs/crypto.md. */
export const SealedEnvelope = z
  .object({
    v: z.literal(ENVELOPE_VERSION),
    alg: EnvelopeAlg,
    conversationId: Id,
    senderId: Id,
    senderKeyVersion: KeyVersion,
    clientMsgId: Id,
    /** Ephemeral X25519 public key of this message (key wrapping). */
    epk: PublicKey,
    /** One entry per recipient user, the sender included, sorted by userId (UTF-8 byte order). */
    recipients: z.array(WrappedKey).min(1).max(E2EE_LIMITS.maxRecipients),
    /** Random nonce of the body AEAD: 12 bytes (AES-256-GCM) or 24 bytes (XChaCha20-Poly1305). */
    nonce: B64.min(base64UrlLength(12)).max(base64UrlLength(24)),
    /** AEAD output: ciphertext || 16-byte tag. */
    ciphertext: B64.min(base64UrlLength(AEAD_TAG_BYTES)).max(
      base64UrlLength(E2EE_LIMITS.maxPlaintextBytes + AEAD_TAG_BYTES),
    ),
    /** Sender's Ed25519 signature over header, wrapped keys, nonce and ciphertext. */
    signature: B64Bytes(64),
  })
  .refine((e) => e.nonce.length === base64UrlLength(ENVELOPE_NONCE_BYTES[e.alg]), {
    message: 'nonce size does not match alg',
    path: ['nonce'],
  })
  .meta({ id: 'SealedEnvelope' });
export type SealedEnvelope = z.infer<typeof SealedEnvelope>;

// ---- key backup -----------------------------------------------------------------

const Salt = B64.min(base64UrlLength(16)).max(base64UrlLength(64));

/**
 * The password KDF of a key backup. Its parameters travel with the backup so
 * they can be raised later: a backup made with weaker ones still opens, and the
 * client re-seals it with the current ones.
 */
export const BackupKdf = z.discriminatedUnion('name', [
  z.object({
    name: z.literal('PBKDF2-SHA256'),
    iterations: z.number().int().min(1).max(10_000_000),
    salt: Salt,
  }),
  z.object({
    name: z.literal('scrypt'),
    /** CPU/memory cost, a power of two. */
    N: z
      .number()
      .int()
      .min(2)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: Salt,
  }),
]);
export type BackupKdf = z.infer<typeof BackupKdf>;

/** A user's private keys (every key version) sealed under a key derived from their password on the client. */
export const KeyBackup = z
  .object({
    v: z.literal(1),
    userId: Id,
    kdf: BackupKdf,
    alg: EnvelopeAlg,
    nonce: B64.min(base64UrlLength(12)).max(base64UrlLength(24)),
    ciphertext: B64.max(base64UrlLength(3 + E2EE_LIMITS.maxBackupKeys * 68 + AEAD_TAG_BYTES)),
  })
  .refine((b) => b.nonce.length === base64UrlLength(ENVELOPE_NONCE_BYTES[b.alg]), {
    message: 'nonce size does not match alg',
    path: ['nonce'],
  })
  .meta({ id: 'KeyBackup' });
export type KeyBackup = z.infer<typeof KeyBackup>;
