import { randomUUID } from 'node:crypto';
import type { HistoryPage } from '@im/contracts';
import { toBase64Url, utf8 } from '@im/crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForMessages } from '../src/expect.js';
import { type Device, http, Person } from '../src/people.js';
import { type DistributedSystem, startDistributed } from '../src/system.js';
import { tapBroker } from '../src/tap.js';

/**
 * Issue 5 end to end: sealed messages over the real services; a new device of a
 * third member restores its keys from the password-sealed backup and reads the
 * history; and nothing the server stored or the broker carried holds a body
 * or a private key in plaintext.
 */
describe('end-to-end encryption over the messaging core', () => {
  let system: DistributedSystem;
  let tap: Awaited<ReturnType<typeof tapBroker>>;
  const devices: Device[] = [];

  beforeAll(async () => {
    system = await startDistributed('e2ee');
    tap = await tapBroker(system.brokerNamespace);
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.disconnect()));
    await tap?.close();
    await system?.stop();
  });

  it('two users exchange sealed messages; a third member reads the history on a new device; no plaintext anywhere', async () => {
    const alice = await Person.register(system, 'alice');
    const bob = await Person.register(system, 'bob');
    const carol = await Person.register(system, 'carol');
    devices.push(alice.device, bob.device);
    await alice.device.connect(system.gatewayUrls[0]!);
    await bob.device.connect(system.gatewayUrls[1]!);

    const group = await alice.device.group('secret plans', [bob.person, carol.person]);
    const direct = await alice.device.directWith(bob.person);
    const secrets = Array.from({ length: 6 }, (_, i) => `plaintext-marker-${i}-${randomUUID()}`);
    for (const [i, secret] of secrets.entries()) {
      const sender = i % 2 === 0 ? alice.device : bob.device;
      await sender.send(i < 4 ? group : direct, secret);
      await waitForMessages(
        i % 2 === 0 ? bob.device : alice.device,
        i < 4 ? group.id : direct.id,
        i < 4 ? i + 1 : i - 3,
      );
    }
    expect(await Promise.all(bob.device.inConversation(group.id).map((m) => bob.device.read(m)))).toEqual(
      secrets.slice(0, 4),
    );
    expect(
      await Promise.all(alice.device.inConversation(direct.id).map((m) => alice.device.read(m))),
    ).toEqual(secrets.slice(4));

    // Carol was never online. On a brand-new device she logs in, restores her keys from the
    // sealed backup with her password, loads the group's history over HTTP and reads it.
    const phone = await carol.person.newDevice('new phone');
    devices.push(phone);
    expect(phone.keys.x25519.secretKey).toEqual(carol.person.keys.x25519.secretKey);
    const history = await http<HistoryPage>(
      `${system.messagesUrl}/v1/conversations/${group.id}/messages?after=0`,
      {
        token: phone.token,
      },
    );
    expect(history.status).toBe(200);
    expect(await Promise.all(history.body.messages.map((m) => phone.read(m)))).toEqual(secrets.slice(0, 4));

    // Carol is not a member of the direct chat: even holding an envelope, she cannot open it.
    const foreign = alice.device.inConversation(direct.id)[0]!;
    await expect(phone.read(foreign)).rejects.toMatchObject({ code: 'CRYPTO_NOT_A_RECIPIENT' });

    // What the server holds and what the broker carried: no body, no private key, in any encoding.
    const privateKeys = [alice, bob, carol].flatMap(({ person }) => [
      person.keys.x25519.secretKey,
      person.keys.ed25519.secretKey,
    ]);
    const forbidden = [
      ...secrets.flatMap((s) => [
        s,
        toBase64Url(utf8(s)),
        Buffer.from(s).toString('base64'),
        Buffer.from(s).toString('hex'),
      ]),
      ...privateKeys.flatMap((k) => [
        toBase64Url(k),
        Buffer.from(k).toString('base64'),
        Buffer.from(k).toString('hex'),
      ]),
    ];
    const stored = await dumpDatabase(system.databaseUrl);
    expect(stored.length).toBeGreaterThan(1000);
    expect(stored).toContain(group.id); // the scan does see the conversation's rows
    expect(tap.bodies.length).toBeGreaterThan(10);
    const carried = tap.bodies.join('\n');
    expect(carried).toContain(group.id);
    for (const needle of forbidden) {
      expect(stored.includes(needle), `database holds ${needle.slice(0, 24)}…`).toBe(false);
      expect(carried.includes(needle), `broker carried ${needle.slice(0, 24)}…`).toBe(false);
    }
  });
});

/** Every row of every table of every service schema, as text. */
async function dumpDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const parts: string[] = [];
    for (const table of tables) {
      const { rows } = await client.query<{ row: string }>(
        `SELECT t::text AS row FROM "${table.schema}"."${table.name}" t`,
      );
      parts.push(...rows.map((r) => r.row));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}
