import { randomUUID } from 'node:crypto';
import {
  type CurveBackend,
  generateIdentity,
  type IdentityKeys,
  publicBundle,
  type SealInput,
} from '../src/index.js';

export interface Cast {
  alice: IdentityKeys;
  bob: IdentityKeys;
  carol: IdentityKeys;
  /** Not a recipient of anything. */
  eve: IdentityKeys;
}

export async function cast(backend: CurveBackend): Promise<Cast> {
  const [alice, bob, carol, eve] = await Promise.all([
    generateIdentity(randomUUID(), 1, { backend }),
    generateIdentity(randomUUID(), 2, { backend }),
    generateIdentity(randomUUID(), 7, { backend }),
    generateIdentity(randomUUID(), 1, { backend }),
  ]);
  return { alice, bob, carol, eve };
}

/** Alice writes to Bob and Carol. */
export function aliceToBobAndCarol(c: Cast, overrides: Partial<SealInput> = {}): SealInput {
  return {
    conversationId: randomUUID(),
    senderId: c.alice.userId,
    senderKeyVersion: c.alice.keyVersion,
    clientMsgId: randomUUID(),
    plaintext: 'meet at the usual place',
    recipients: [publicBundle(c.bob), publicBundle(c.carol)],
    senderKeys: c.alice,
    ...overrides,
  };
}
