import type { PublicKeyBundle, SealedEnvelope, StoredMessage } from '@im/contracts';
import {
  type CryptoErrorCode,
  checkKeyChange,
  deserializeIdentity,
  type IdentityKeys,
  isCryptoError,
  open,
  publicBundle,
  seal,
} from '@im/crypto';
import * as endpoints from './api/endpoints.js';
import { isApiError } from './api/http.js';
import type { Session } from './api/session.js';
import { CliError } from './cli/errors.js';

/** A contact's keys changed since this device first saw them. */
export interface KeyNotice {
  userId: string;
  from: number;
  to: number;
}

export type Opened = { ok: true; text: string } | { ok: false; reason: string; code: string };

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * This device's keys and what it knows of other people's: public keys from
 * the directory (cached per run), pinned on first use and checked on every
 * fetch, sealing and opening of message bodies. A message body is its text in
 * UTF-8.
 */
export class Keys {
  readonly #session: Session;
  readonly #keyring: IdentityKeys[];
  readonly #current = new Map<string, Promise<PublicKeyBundle>>();
  readonly #versions = new Map<string, Promise<PublicKeyBundle>>();
  readonly #listeners = new Set<(notice: KeyNotice) => void>();
  readonly #name: (userId: string) => string;

  private constructor(session: Session, keyring: IdentityKeys[], name: (userId: string) => string) {
    this.#session = session;
    this.#keyring = keyring;
    this.#name = name;
  }

  /** @param name a user's name for messages (the id when not given). */
  static async load(session: Session, name: (userId: string) => string = (userId) => userId): Promise<Keys> {
    const keyring = await Promise.all(session.account.keyring.map((stored) => deserializeIdentity(stored)));
    keyring.sort((a, b) => a.keyVersion - b.keyVersion);
    return new Keys(session, keyring, name);
  }

  /** This user's newest keys: what new messages are signed with. */
  get identity(): IdentityKeys {
    return this.#keyring[this.#keyring.length - 1]!;
  }

  /** Called when a contact's keys change (a rotation: re-verify the safety number). */
  onChange(listener: (notice: KeyNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forgets the cached current keys of a user (after a `keys.changed` frame). */
  invalidate(userId: string): void {
    this.#current.delete(userId);
  }

  /** A user's current public keys, checked against the ones pinned for them. */
  current(userId: string): Promise<PublicKeyBundle> {
    let bundle = this.#current.get(userId);
    if (!bundle) {
      bundle = this.#fetchCurrent(userId);
      bundle.catch(() => this.#current.delete(userId));
      this.#current.set(userId, bundle);
    }
    return bundle;
  }

  /** A user's keys at one version (to check the signature of an older message). */
  version(userId: string, keyVersion: number): Promise<PublicKeyBundle> {
    const key = `${userId}:${keyVersion}`;
    let bundle = this.#versions.get(key);
    if (!bundle) {
      bundle = this.#fetchVersion(userId, keyVersion);
      bundle.catch(() => this.#versions.delete(key));
      this.#versions.set(key, bundle);
    }
    return bundle;
  }

  async #fetchCurrent(userId: string): Promise<PublicKeyBundle> {
    if (userId === this.#session.userId) return publicBundle(this.identity);
    const keys = await this.#fetch(userId);
    const bundle: PublicKeyBundle = {
      userId,
      keyVersion: keys.keyVersion,
      x25519: keys.x25519,
      ed25519: keys.ed25519,
    };
    const pinned = this.#session.account.knownKeys[userId];
    const change = checkKeyChange(pinned && { userId, ...pinned }, bundle);
    switch (change.kind) {
      case 'unchanged':
        break;
      case 'first-seen':
      case 'rotated':
        await this.#session.remember((account) => {
          account.knownKeys[userId] = {
            keyVersion: bundle.keyVersion,
            x25519: bundle.x25519,
            ed25519: bundle.ed25519,
          };
        });
        if (change.kind === 'rotated') {
          for (const listener of this.#listeners) listener({ userId, from: change.from, to: change.to });
        }
        break;
      case 'conflict':
      case 'rollback':
        throw new CliError(
          `the server offers keys for ${this.#name(userId)} that contradict the ones seen before (${change.kind}); not using them`,
          { hint: 'compare safety numbers with `im fingerprint` before you trust this contact again' },
        );
    }
    this.#versions.set(`${userId}:${bundle.keyVersion}`, Promise.resolve(bundle));
    return bundle;
  }

  async #fetchVersion(userId: string, keyVersion: number): Promise<PublicKeyBundle> {
    if (userId === this.#session.userId) {
      const mine = this.#keyring.find((keys) => keys.keyVersion === keyVersion);
      if (mine) return publicBundle(mine);
    }
    const keys = await this.#fetch(userId, keyVersion);
    const bundle: PublicKeyBundle = {
      userId,
      keyVersion: keys.keyVersion,
      x25519: keys.x25519,
      ed25519: keys.ed25519,
    };
    const pinned = this.#session.account.knownKeys[userId];
    if (
      pinned?.keyVersion === keyVersion &&
      checkKeyChange({ userId, ...pinned }, bundle).kind !== 'unchanged'
    ) {
      throw new CliError(
        `the server offers keys for version ${keyVersion} that differ from the ones seen before`,
      );
    }
    return bundle;
  }

  async #fetch(userId: string, keyVersion?: number) {
    try {
      return await endpoints.userKeys(this.#session, userId, keyVersion);
    } catch (error) {
      if (isApiError(error) && error.status === 404) {
        throw new NoKeysError(userId, this.#name(userId));
      }
      throw error;
    }
  }

  /** Seals a text for every member of a conversation (and this user's other devices). */
  async sealText(
    conversationId: string,
    memberIds: readonly string[],
    clientMsgId: string,
    text: string,
  ): Promise<SealedEnvelope> {
    const recipients = await Promise.all(memberIds.map((memberId) => this.current(memberId)));
    const me = this.identity;
    return seal({
      conversationId,
      senderId: me.userId,
      senderKeyVersion: me.keyVersion,
      clientMsgId,
      plaintext: text,
      recipients,
      senderKeys: me,
    });
  }

  /** Verifies and opens a stored message; a message that cannot be opened says why instead of failing. */
  async openMessage(message: StoredMessage): Promise<Opened> {
    const { envelope } = message;
    try {
      const senderPublic = await this.version(envelope.senderId, envelope.senderKeyVersion);
      const bytes = await open(envelope, {
        me: this.#keyring,
        senderPublic,
        // The envelope must be the one signed for this conversation, sender and message (no replays).
        expected: {
          conversationId: message.conversationId,
          senderId: message.senderId,
          clientMsgId: message.clientMsgId,
        },
      });
      return { ok: true, text: decoder.decode(bytes) };
    } catch (error) {
      if (isCryptoError(error))
        return { ok: false, code: error.code, reason: describeCryptoFailure(error.code) };
      if (error instanceof NoKeysError) {
        return { ok: false, code: 'NO_KEYS', reason: "the sender's keys are unknown" };
      }
      // The directory could not be asked (server unreachable, …): say so in place of the text.
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, code: 'UNAVAILABLE', reason: `could not get the sender's keys: ${message}` };
    }
  }
}

export class NoKeysError extends CliError {
  readonly userId: string;
  constructor(userId: string, name: string) {
    super(`${name} has no encryption keys yet`, {
      hint: 'they get keys when they first log in; ask them to log in once',
    });
    this.userId = userId;
  }
}

function describeCryptoFailure(code: CryptoErrorCode): string {
  switch (code) {
    case 'CRYPTO_BAD_SIGNATURE':
    case 'CRYPTO_WRONG_SENDER_KEY':
      return 'the signature does not verify: not sent by who it claims';
    case 'CRYPTO_CONTEXT_MISMATCH':
      return 'sealed for another conversation or message (replayed)';
    case 'CRYPTO_NOT_A_RECIPIENT':
      return 'not encrypted for you (sent before you joined?)';
    case 'CRYPTO_KEY_VERSION_MISMATCH':
      return 'encrypted for a key of yours this device does not have';
    case 'CRYPTO_UNSUPPORTED_VERSION':
    case 'CRYPTO_UNSUPPORTED_ALG':
      return 'sent by a newer client (unknown format)';
    default:
      return 'could not be decrypted';
  }
}
