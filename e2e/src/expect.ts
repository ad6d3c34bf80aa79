import type { StoredMessage } from '@im/contracts';
import { expect, vi } from 'vitest';
import type { Device } from './people.js';

/** Waits until a device has received `count` messages of a conversation. */
export async function waitForMessages(
  device: Device,
  conversationId: string,
  count: number,
  timeout = 60_000,
) {
  await vi.waitFor(
    () => {
      const got = device.inConversation(conversationId).length;
      if (got < count) throw new Error(`${device.person.username} has ${got}/${count} messages`);
    },
    { timeout, interval: 50 },
  );
}

/** Every seq from 1 to n exactly once, in order. */
export function expectGaplessOnce(messages: readonly StoredMessage[], n: number) {
  expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

/** Waits until the sender's client reports `status` (or a later one) for a message. */
export async function waitForStatus(
  device: Device,
  clientMsgId: string,
  status: 'sent' | 'delivered' | 'read',
  timeout = 60_000,
) {
  const order = ['pending', 'sent', 'delivered', 'read'];
  await vi.waitFor(
    () => {
      const current = device.client?.status(clientMsgId)?.status ?? 'unknown';
      if (order.indexOf(current) < order.indexOf(status)) {
        throw new Error(`message ${clientMsgId} is ${current}, waiting for ${status}`);
      }
    },
    { timeout, interval: 50 },
  );
}
