/**
 * Browser side of the browser↔Node round trip (test/browser.test.ts): bundled
 * with esbuild for the browser and driven through `globalThis.imTest`. Every
 * argument and result is plain JSON.
 */
import type { EnvelopeAlg, PublicKeyBundle } from '@im/contracts';
import * as lib from '../../src/index.js';

type Choice = lib.BackendPreference;

const harness = {
  async info() {
    return {
      backend: (await lib.getBackend()).name,
      secureContext: (globalThis as { isSecureContext?: boolean }).isSecureContext === true,
    };
  },
  async generate(userId: string, keyVersion: number, backend: Choice) {
    return lib.serializeIdentity(
      await lib.generateIdentity(userId, keyVersion, { backend: await lib.getBackend(backend) }),
    );
  },
  async seal(
    sender: lib.SerializedIdentity,
    recipients: PublicKeyBundle[],
    alg: EnvelopeAlg,
    plaintext: string,
    ids: { conversationId: string; clientMsgId: string },
    backend: Choice,
  ) {
    const b = await lib.getBackend(backend);
    const senderKeys = await lib.deserializeIdentity(sender, { backend: b });
    return lib.seal(
      {
        alg,
        conversationId: ids.conversationId,
        clientMsgId: ids.clientMsgId,
        senderId: senderKeys.userId,
        senderKeyVersion: senderKeys.keyVersion,
        plaintext,
        recipients,
        senderKeys,
      },
      { backend: b },
    );
  },
  async open(envelope: unknown, me: lib.SerializedIdentity, senderPublic: PublicKeyBundle, backend: Choice) {
    const b = await lib.getBackend(backend);
    const keys = await lib.deserializeIdentity(me, { backend: b });
    return lib.fromUtf8(await lib.open(envelope, { me: keys, senderPublic }, { backend: b }));
  },
  async openError(envelope: unknown, me: lib.SerializedIdentity, senderPublic: PublicKeyBundle) {
    try {
      await lib.open(envelope, { me: await lib.deserializeIdentity(me), senderPublic });
      return null;
    } catch (err) {
      return lib.isCryptoError(err) ? err.code : String(err);
    }
  },
};

export type Harness = typeof harness;
(globalThis as unknown as { imTest: Harness }).imTest = harness;
