import { z } from 'zod';
import { Id } from './common.js';

/**
 * The sealed message envelope (end-to-end encrypted). The server validates its
 * shape and size and never its content. Produced and opened by @im/crypto.
 */
const B64 = z.string().regex(/^[A-Za-z0-9_-]*$/, 'base64url without padding');

export const EnvelopeAlg = z.enum(['AES-256-GCM', 'XChaCha20-Poly1305']);
export type EnvelopeAlg = z.infer<typeof EnvelopeAlg>;

export const WrappedKey = z.object({
  userId: Id,
  /** Version of the recipient's key-agreement key the content key was wrapped for. */
  keyVersion: z.number().int().positive(),
  /** The content key sealed for this recipient. */
  wrapped: B64.max(256),
});

export const SealedEnvelope = z
  .object({
    v: z.literal(1),
    alg: EnvelopeAlg,
    conversationId: Id,
    senderId: Id,
    senderKeyVersion: z.number().int().positive(),
    clientMsgId: Id,
    /** Ephemeral X25519 public key of this message (key wrapping). */
    epk: B64.max(64),
    recipients: z.array(WrappedKey).min(1).max(1001),
    nonce: B64.max(64),
    ciphertext: B64,
    signature: B64.max(128),
  })
  .meta({ id: 'SealedEnvelope' });
export type SealedEnvelope = z.infer<typeof SealedEnvelope>;
