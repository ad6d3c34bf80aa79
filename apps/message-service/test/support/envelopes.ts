import { randomBytes, randomUUID } from 'node:crypto';
import type { MessagePayload, SealedEnvelope } from '@im/contracts';

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');

/**
 * A sealed envelope of the right shape and sizes filled with random bytes.
 * The message service validates envelopes by shape and size only and never
 * opens them, so random content is exactly what it sees from real clients.
 */
export function sealedEnvelope(options: {
  conversationId: string;
  senderId: string;
  clientMsgId: string;
  recipients: readonly string[];
  bodyBytes?: number;
}): SealedEnvelope {
  return {
    v: 1,
    alg: 'AES-256-GCM',
    conversationId: options.conversationId,
    senderId: options.senderId,
    senderKeyVersion: 1,
    clientMsgId: options.clientMsgId,
    epk: b64(32),
    recipients: [...options.recipients].sort().map((userId) => ({ userId, keyVersion: 1, wrapped: b64(48) })),
    nonce: b64(12),
    ciphertext: b64((options.bodyBytes ?? 24) + 16),
    signature: b64(64),
  };
}

/** A `message.send.v1` command as a gateway publishes it. */
export function sendCommand(options: {
  conversationId: string;
  senderId: string;
  senderDeviceId?: string;
  clientMsgId?: string;
  recipients?: readonly string[];
  bodyBytes?: number;
}): MessagePayload<'message.send.v1'> {
  const clientMsgId = options.clientMsgId ?? randomUUID();
  return {
    clientMsgId,
    conversationId: options.conversationId,
    senderId: options.senderId,
    senderDeviceId: options.senderDeviceId ?? randomUUID(),
    receivedAt: new Date().toISOString(),
    envelope: sealedEnvelope({
      conversationId: options.conversationId,
      senderId: options.senderId,
      clientMsgId,
      recipients: options.recipients ?? [options.senderId],
      ...(options.bodyBytes === undefined ? {} : { bodyBytes: options.bodyBytes }),
    }),
  };
}
