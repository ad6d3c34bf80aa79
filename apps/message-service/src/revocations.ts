import type { RevocationList } from '@im/auth-client';
import type { Broker } from '@im/broker';
import type { QueueSpec } from '@im/contracts';

/**
 * Feeds a revocation list from `session.revoked.v1` through this copy's own
 * queue, so the verifier refuses a revoked session's still-unexpired token.
 */
export async function followRevocations(broker: Broker, queue: QueueSpec, revocations: RevocationList) {
  await broker.declareQueue(queue);
  return broker.consume(queue, {
    'session.revoked.v1': async (event) => {
      revocations.apply(event);
    },
  });
}
