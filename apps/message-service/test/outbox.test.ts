import { randomUUID } from 'node:crypto';
import {
  amqpTarget,
  amqpUrl,
  amqpUrlVia,
  type RunningProcess,
  startProcess,
  startTcpProxy,
  type TcpProxy,
  tsxCommand,
} from '@im/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeMessages } from '../src/domain/send.js';
import { sendCommand } from './support/envelopes.js';
import { type Harness, INTERNAL_TOKEN, type Probe, startHarness } from './support/harness.js';

let h: Harness;
let events: Probe;
const running: RunningProcess[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  h = await startHarness();
  events = await h.probe({ events: ['message.stored.v1'] });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
afterAll(() => h?.close());

/** The service's own main.ts as a separate process, running only the given components. */
async function startService(components: string, amqpUrl: string): Promise<RunningProcess> {
  const { command, args } = tsxCommand(new URL('../src/main.ts', import.meta.url).pathname);
  const proc = await startProcess({
    name: 'message-service',
    command,
    args,
    env: {
      DATABASE_URL: h.db.url,
      DATABASE_SCHEMA: 'messaging',
      MIGRATE_ON_START: 'false',
      AMQP_URL: amqpUrl,
      BROKER_NAMESPACE: h.namespace,
      INTERNAL_TOKEN,
      JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      JWT_ISSUER: 'https://auth.test',
      JWT_AUDIENCE: 'im-platform',
      COMPONENTS: components,
      OUTBOX_POLL_MS: '50',
      PORT: '0',
    },
    readyLine: /"msg":"message worker started"/,
  });
  running.push(proc);
  return proc;
}

async function conversationWith(senders: number): Promise<{ id: string; senderIds: string[] }> {
  const owner = await h.user();
  const senderIds = Array.from({ length: senders }, () => randomUUID());
  const res = await owner.request({
    method: 'POST',
    url: '/v1/conversations/groups',
    payload: { title: 'o', memberIds: senderIds },
  });
  return { id: res.json().id, senderIds };
}

const storedIn = (conversationId: string) =>
  new Set(
    events
      .of('message.stored.v1')
      .filter((e) => e.data.message.conversationId === conversationId)
      .map((e) => e.data.message.id),
  );

/** Whether every outbox row is locked by some other transaction (a relay mid-publish). */
async function outboxHeldElsewhere(): Promise<boolean> {
  const [total, claimable] = await Promise.all([
    h.store.repos.outbox.count(),
    h.store.transaction((repos) => repos.outbox.claim(1_000)),
  ]);
  return total > 0 && claimable.length === 0;
}

describe('transactional outbox', () => {
  it('a relay killed while publishing loses nothing: the next relay publishes every event', async () => {
    const proxy = await startTcpProxy({ target: amqpTarget() });
    proxies.push(proxy);
    const relay = await startService('relay', amqpUrlVia(proxy.host, proxy.port));
    const conversation = await conversationWith(3);
    // The relay works (it publishes the conversation's creation) …
    await vi.waitFor(async () => expect(await h.store.repos.outbox.count()).toBe(0));
    // … until nothing it sends reaches RabbitMQ any more: its publishes hang unconfirmed.
    proxy.pause();

    const commands = conversation.senderIds.flatMap((senderId) =>
      Array.from({ length: 10 }, () => sendCommand({ conversationId: conversation.id, senderId })),
    );
    const outcomes = await storeMessages(h.store, commands, { maxEnvelopeBytes: 65_536 });
    const messageIds = new Set(outcomes.map((o) => (o.status === 'stored' ? o.message.id : 'not stored')));
    expect(messageIds.size).toBe(30);

    // The relay has claimed the committed rows and is waiting for confirms …
    await vi.waitFor(async () => expect(await outboxHeldElsewhere()).toBe(true), { timeout: 10_000 });
    // … when it dies. What it had sent dies with the proxy.
    await relay.stop('SIGKILL');
    proxy.cutAll();
    expect(storedIn(conversation.id).size).toBe(0);

    const next = h.worker({ components: ['relay'] });
    await next.start();
    await vi.waitFor(() => expect(storedIn(conversation.id)).toEqual(messageIds), { timeout: 15_000 });
    await vi.waitFor(async () => expect(await h.store.repos.outbox.count()).toBe(0));
    await next.stop();
  });

  it('a service killed after committing sends but before relaying them loses nothing', async () => {
    const service = await startService('commands', amqpUrl());
    const conversation = await conversationWith(2);
    const commands = conversation.senderIds.flatMap((senderId) =>
      Array.from({ length: 10 }, () => sendCommand({ conversationId: conversation.id, senderId })),
    );
    for (const command of commands) await h.broker.publish('message.send.v1', command);
    // Committed (and acked) by the other process, which runs no relay …
    await vi.waitFor(
      async () => expect((await h.store.repos.conversations.get(conversation.id))?.lastSeq).toBe(20),
      {
        timeout: 15_000,
      },
    );
    await service.stop('SIGKILL');
    expect(storedIn(conversation.id).size).toBe(0);

    // … and published by whichever relay runs next.
    const relay = h.worker({ components: ['relay'] });
    await relay.start();
    await vi.waitFor(() => expect(storedIn(conversation.id).size).toBe(20), { timeout: 15_000 });
    await relay.stop();
  });
});
