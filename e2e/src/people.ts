import { randomUUID } from 'node:crypto';
import { ImClient, type OutgoingMessage } from '@im/client';
import {
  type Conversation,
  type PublicKeyBundle,
  type SealedEnvelope,
  type StoredMessage,
  TokenPair,
  UserKeys,
} from '@im/contracts';
import {
  generateIdentity,
  type IdentityKeys,
  open,
  openBackup,
  publicBundle,
  seal,
  sealBackup,
} from '@im/crypto';
import WebSocket from 'ws';
import type { System } from './system.js';

const PASSWORD = 'correct horse battery staple';

/** JSON over HTTP with a bearer token; a non-2xx answer throws with its body. */
export async function http<T = unknown>(
  url: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function ok<T>(url: string, init: Parameters<typeof http>[1] = {}): Promise<T> {
  const { status, body } = await http<T>(url, init);
  if (status < 200 || status >= 300)
    throw new Error(`${init.method ?? 'GET'} ${url} → ${status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * A person using the system: an account with end-to-end keys, and any number
 * of devices, each a real protocol client (`@im/client` over `ws`).
 */
export class Person {
  readonly devices: Device[] = [];
  #bundles = new Map<string, PublicKeyBundle>();

  private constructor(
    readonly system: System,
    readonly username: string,
    readonly userId: string,
    readonly keys: IdentityKeys,
  ) {}

  /** Registers, logs in a first device, creates keys and publishes them with a password-sealed backup. */
  static async register(system: System, name: string): Promise<{ person: Person; device: Device }> {
    const username = `${name}_${randomUUID().slice(0, 8)}`;
    const { user } = await ok<{ user: { id: string } }>(`${system.authUrl}/v1/auth/register`, {
      body: { username, password: PASSWORD },
    });
    const tokens = await login(system, username, 'first device');
    const keys = await generateIdentity(user.id, 1);
    const bundle = publicBundle(keys);
    await ok(`${system.authUrl}/v1/keys`, {
      method: 'PUT',
      token: tokens.accessToken,
      body: {
        keyVersion: 1,
        x25519: bundle.x25519,
        ed25519: bundle.ed25519,
        backup: await sealBackup(keys, PASSWORD),
      },
    });
    const person = new Person(system, username, user.id, keys);
    const device = new Device(person, tokens, keys);
    person.devices.push(device);
    return { person, device };
  }

  /**
   * Logs in another device. Like a real new device it has no keys: it fetches
   * the sealed backup and opens it with the password.
   */
  async newDevice(name = 'another device'): Promise<Device> {
    const tokens = await login(this.system, this.username, name);
    const { backup } = await ok<{ backup: unknown }>(`${this.system.authUrl}/v1/keys/backup`, {
      token: tokens.accessToken,
    });
    const restored = await openBackup(backup, PASSWORD);
    const keys = restored.at(-1);
    if (!keys) throw new Error('the backup holds no keys');
    const device = new Device(this, tokens, keys);
    this.devices.push(device);
    return device;
  }

  /** A user's public keys from the directory (cached). */
  async bundle(userId: string, token: string): Promise<PublicKeyBundle> {
    const cached = this.#bundles.get(userId);
    if (cached) return cached;
    const keys = UserKeys.parse(await ok(`${this.system.authUrl}/v1/users/${userId}/keys`, { token }));
    const bundle: PublicKeyBundle = {
      userId: keys.userId,
      keyVersion: keys.keyVersion,
      x25519: keys.x25519,
      ed25519: keys.ed25519,
    };
    this.#bundles.set(userId, bundle);
    return bundle;
  }
}

async function login(system: System, username: string, deviceName: string): Promise<TokenPair> {
  return TokenPair.parse(
    await ok(`${system.authUrl}/v1/auth/login`, { body: { username, password: PASSWORD, deviceName } }),
  );
}

/** One logged-in device: its session, its keys and its protocol client. */
export class Device {
  /** Every message handed over by the client, in the order it arrived. */
  readonly received: StoredMessage[] = [];
  client: ImClient | undefined;

  constructor(
    readonly person: Person,
    readonly tokens: TokenPair,
    readonly keys: IdentityKeys,
  ) {}

  get deviceId(): string {
    return this.tokens.sessionId;
  }

  get token(): string {
    return this.tokens.accessToken;
  }

  /** Connects to a gateway (and resolves once live: the offline drain is done). */
  async connect(gatewayUrl: string, options: { waitLive?: boolean } = {}): Promise<ImClient> {
    await this.disconnect();
    const client = new ImClient({
      url: gatewayUrl,
      token: () => this.tokens.accessToken,
      WebSocket: WebSocket as unknown as ConstructorParameters<typeof ImClient>[0]['WebSocket'],
      api: { baseUrl: this.person.system.messagesUrl },
      cursors: this.cursors(),
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
    });
    client.on('message', (m) => this.received.push(m));
    this.client = client;
    client.connect();
    if (options.waitLive ?? true) await client.until('live', 60_000);
    return client;
  }

  /** Closes the socket (the device goes offline; what it received so far is kept). */
  async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  /** Highest seq held per conversation, as an app keeps it across reconnects. */
  cursors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.received) out[m.conversationId] = Math.max(out[m.conversationId] ?? 0, m.seq);
    return out;
  }

  async directWith(other: Person): Promise<Conversation> {
    return ok<Conversation>(`${this.person.system.messagesUrl}/v1/conversations/direct`, {
      token: this.token,
      body: { userId: other.userId },
    });
  }

  async group(title: string, members: Person[]): Promise<Conversation> {
    return ok<Conversation>(`${this.person.system.messagesUrl}/v1/conversations/groups`, {
      token: this.token,
      body: { title, memberIds: members.map((m) => m.userId) },
    });
  }

  /** Seals `text` for every member of the conversation and sends it. */
  async send(
    conversation: Conversation,
    text: string,
    clientMsgId: string = randomUUID(),
  ): Promise<OutgoingMessage> {
    const envelope = await this.seal(conversation, text, clientMsgId);
    return this.sendEnvelope(envelope);
  }

  async seal(
    conversation: Conversation,
    text: string,
    clientMsgId: string = randomUUID(),
  ): Promise<SealedEnvelope> {
    const recipients = await Promise.all(
      conversation.members.map((m) => this.person.bundle(m.userId, this.token)),
    );
    return seal({
      conversationId: conversation.id,
      senderId: this.person.userId,
      senderKeyVersion: this.keys.keyVersion,
      clientMsgId,
      plaintext: text,
      recipients,
      senderKeys: this.keys,
    });
  }

  sendEnvelope(envelope: SealedEnvelope): OutgoingMessage {
    if (!this.client) throw new Error('not connected');
    return this.client.send(envelope.conversationId, envelope);
  }

  /** Opens a received message: verifies the sender's signature and decrypts. */
  async read(message: StoredMessage): Promise<string> {
    const senderPublic = await this.person.bundle(message.senderId, this.token);
    const bytes = await open(message.envelope, {
      me: this.keys,
      senderPublic,
      expected: {
        conversationId: message.conversationId,
        senderId: message.senderId,
        clientMsgId: message.clientMsgId,
      },
    });
    return new TextDecoder().decode(bytes);
  }

  /** Received messages of one conversation, in arrival order. */
  inConversation(conversationId: string): StoredMessage[] {
    return this.received.filter((m) => m.conversationId === conversationId);
  }
}
