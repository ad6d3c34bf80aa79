import { randomBytes, randomUUID } from 'node:crypto';
import type { SealedEnvelope, StoredMessage } from '@im/contracts';
import { generateIdentity, type IdentityKeys, publicBundle, seal } from '@im/crypto';

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');

/**
 * A schema-valid envelope of random bytes (the servers never look inside),
 * with a ciphertext of about `ciphertextBytes` bytes.
 */
export function opaqueEnvelope(
  fields: { conversationId: string; senderId: string; clientMsgId?: string },
  ciphertextBytes = 64,
): SealedEnvelope {
  return {
    v: 1,
    alg: 'AES-256-GCM',
    conversationId: fields.conversationId,
    senderId: fields.senderId,
    senderKeyVersion: 1,
    clientMsgId: fields.clientMsgId ?? randomUUID(),
    epk: b64(32),
    recipients: [{ userId: fields.senderId, keyVersion: 1, wrapped: b64(48) }],
    nonce: b64(12),
    ciphertext: b64(Math.max(16, ciphertextBytes)),
    signature: b64(64),
  };
}

/** A really sealed envelope (@im/crypto) from `sender` to `recipients`. */
export async function sealedEnvelope(input: {
  conversationId: string;
  sender: IdentityKeys;
  recipients: IdentityKeys[];
  text: string;
  clientMsgId?: string;
}): Promise<SealedEnvelope> {
  return seal({
    conversationId: input.conversationId,
    senderId: input.sender.userId,
    senderKeyVersion: input.sender.keyVersion,
    clientMsgId: input.clientMsgId ?? randomUUID(),
    plaintext: input.text,
    recipients: input.recipients.map(publicBundle),
    senderKeys: input.sender,
  });
}

export { generateIdentity };

/** A stored message as the message service would return it (for drains and live frames in tests). */
export function storedMessage(fields: {
  conversationId: string;
  seq: number;
  senderId: string;
  senderDeviceId?: string;
  ciphertextBytes?: number;
}): StoredMessage {
  const clientMsgId = randomUUID();
  return {
    id: randomUUID(),
    conversationId: fields.conversationId,
    seq: fields.seq,
    senderId: fields.senderId,
    senderDeviceId: fields.senderDeviceId ?? randomUUID(),
    clientMsgId,
    envelope: opaqueEnvelope({ ...fields, clientMsgId }, fields.ciphertextBytes),
    createdAt: new Date().toISOString(),
  };
}
