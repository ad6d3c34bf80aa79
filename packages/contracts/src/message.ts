import { z } from 'zod';
import { Id, Seq, Timestamp } from './common.js';
import { SealedEnvelope } from './e2ee.js';

/** A message as stored by the message service: the sealed envelope plus its place in the conversation. */
export const StoredMessage = z
  .object({
    id: Id,
    conversationId: Id,
    seq: Seq,
    senderId: Id,
    senderDeviceId: Id,
    clientMsgId: Id,
    envelope: SealedEnvelope,
    createdAt: Timestamp,
  })
  .meta({ id: 'StoredMessage' });
export type StoredMessage = z.infer<typeof StoredMessage>;
