import type { PublicKeyBundle, SealedEnvelope, StoredMessage, UserKeys } from '@im/contracts';
import {
  checkKeyChange,
  fingerprint,
  type IdentityKeys,
  isCryptoError,
  open,
  publicBundle,
  safetyNumber,
  seal,
} from '@im/crypto';
import type { Api } from '../api/api.js';
import type { MessageBody } from '../state/chat.js';
import { loadPin, type PinnedKeys, savePin } from './keystore.js';

/** What the UI shows about a contact's keys. */
export interface ContactKeys {
  readonly userId: string;
  readonly keyVersion: number;
  readonly fingerprint: string;
  /** Both users' fingerprints, the same digits on both sides. */
  readonly safetyNumber: string;
  readonly verified: boolean;
  /** The keys changed since I first saw them and I have not acknowledged it. */
  readonly changedFrom?: string | undefined;
  /** The directory served keys that contradict what I pinned (same version, other keys; or an older version). */
  readonly suspicious: boolean;
}

export type KeyAlertListener = (keys: ContactKeys) => void;

function describe(error: unknown): string {
  return isCryptoError(error) ? error.code : error instanceof Error ? error.message : String(error);
}

function toBundle(keys: UserKeys): PublicKeyBundle {
  return { userId: keys.userId, keyVersion: keys.keyVersion, x25519: keys.x25519, ed25519: keys.ed25519 };
}

/**
 * End-to-end encryption for the signed-in user: seals outgoing text for every
 * member, opens incoming envelopes after checking the sender's signature, and
 * pins contacts' keys (trust on first use) to warn when they change. Public
 * keys are cached in memory, so a conversation opened once can still be sealed
 * for while offline.
 */
export class E2ee {
  readonly #api: Api;
  readonly #keyring: readonly IdentityKeys[];
  /** userId → its current bundle (dropped on `keys.changed`). */
  readonly #current = new Map<string, Promise<PublicKeyBundle>>();
  /** `${userId}@${version}` → bundle; versions never change. */
  readonly #versions = new Map<string, Promise<PublicKeyBundle>>();
  readonly #listeners = new Set<KeyAlertListener>();

  constructor(
    api: Api,
    readonly me: string,
    keyring: readonly IdentityKeys[],
  ) {
    if (keyring.length === 0) throw new Error('an empty keyring');
    this.#api = api;
    this.#keyring = keyring;
    const mine = publicBundle(this.identity);
    this.#current.set(me, Promise.resolve(mine));
    this.#versions.set(`${me}@${mine.keyVersion}`, Promise.resolve(mine));
  }

  /** My current identity (the newest key version). */
  get identity(): IdentityKeys {
    return this.#keyring.at(-1)!;
  }

  get myFingerprint(): string {
    return fingerprint(publicBundle(this.identity));
  }

  onKeyAlert(listener: KeyAlertListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forget a user's current keys (after `keys.changed`): the next use fetches and checks them again. */
  invalidate(userId: string): void {
    this.#current.delete(userId);
  }

  /** Fetches the current keys of users I am about to write to, so sealing works offline later. */
  async prefetch(userIds: readonly string[]): Promise<void> {
    await Promise.allSettled(userIds.map((id) => this.#currentBundle(id)));
  }

  async sealText(
    conversationId: string,
    clientMsgId: string,
    text: string,
    memberIds: readonly string[],
  ): Promise<SealedEnvelope> {
    const recipients = await Promise.all(memberIds.map((id) => this.#currentBundle(id)));
    return seal({
      conversationId,
      senderId: this.me,
      senderKeyVersion: this.identity.keyVersion,
      clientMsgId,
      plaintext: text,
      recipients,
      senderKeys: this.identity,
    });
  }

  /** Opens a stored message; a message that cannot be opened says why instead of failing the view. */
  async open(message: StoredMessage): Promise<MessageBody> {
    try {
      const senderPublic = await this.#bundleAt(message.senderId, message.envelope.senderKeyVersion);
      // The envelope must have been sealed for where it was delivered: no replay into another chat.
      const bytes = await open(message.envelope, {
        me: this.#keyring,
        senderPublic,
        expected: {
          conversationId: message.conversationId,
          senderId: message.senderId,
          clientMsgId: message.clientMsgId,
        },
      });
      return { kind: 'text', text: new TextDecoder().decode(bytes) };
    } catch (error) {
      if (isCryptoError(error)) {
        const reason =
          error.code === 'CRYPTO_BAD_SIGNATURE' || error.code === 'CRYPTO_WRONG_SENDER_KEY'
            ? 'This message failed its signature check and is hidden.'
            : error.code === 'CRYPTO_CONTEXT_MISMATCH'
              ? 'This message was sealed for another conversation or sender and is hidden.'
              : error.code === 'CRYPTO_NOT_A_RECIPIENT' || error.code === 'CRYPTO_KEY_VERSION_MISMATCH'
                ? 'This message was not encrypted for this device’s keys.'
                : `This message cannot be decrypted (${error.code}).`;
        return { kind: 'unreadable', reason };
      }
      return { kind: 'unreadable', reason: 'The sender’s keys could not be fetched to check this message.' };
    }
  }

  /** Opens an envelope I sealed myself (an unsent message restored after a reload). */
  async openOwn(envelope: SealedEnvelope): Promise<MessageBody> {
    try {
      const bytes = await open(envelope, {
        me: this.#keyring,
        senderPublic: publicBundle(this.identity),
        expected: { senderId: this.me },
      });
      return { kind: 'text', text: new TextDecoder().decode(bytes) };
    } catch (error) {
      return { kind: 'unreadable', reason: `This unsent message cannot be opened (${describe(error)}).` };
    }
  }

  /** A contact's keys for the info panel, checked against the pin. */
  async contact(userId: string): Promise<ContactKeys> {
    const bundle = await this.#currentBundle(userId);
    const pin = await loadPin(this.me, userId);
    return this.#describe(bundle, pin);
  }

  /** The user has seen the warning (and maybe compared numbers again): keep the new keys quietly. */
  async acknowledge(userId: string, verified: boolean): Promise<ContactKeys> {
    const bundle = await this.#currentBundle(userId);
    const pin: PinnedKeys = { bundle, fingerprint: fingerprint(bundle), verified };
    await savePin(this.me, pin);
    const keys = this.#describe(bundle, pin);
    for (const listener of this.#listeners) listener(keys);
    return keys;
  }

  #describe(bundle: PublicKeyBundle, pin: PinnedKeys | undefined): ContactKeys {
    const same = pin !== undefined && checkKeyChange(pin.bundle, bundle).kind === 'unchanged';
    return {
      userId: bundle.userId,
      keyVersion: bundle.keyVersion,
      fingerprint: fingerprint(bundle),
      safetyNumber:
        bundle.userId === this.me ? fingerprint(bundle) : safetyNumber(publicBundle(this.identity), bundle),
      verified: same && pin.verified,
      changedFrom: pin?.previousFingerprint,
      suspicious: pin !== undefined && !same && pin.previousFingerprint === undefined,
    };
  }

  #currentBundle(userId: string): Promise<PublicKeyBundle> {
    let bundle = this.#current.get(userId);
    if (!bundle) {
      bundle = this.#fetchAndPin(userId);
      this.#current.set(userId, bundle);
      bundle.catch(() => this.#current.delete(userId));
    }
    return bundle;
  }

  #bundleAt(userId: string, version: number): Promise<PublicKeyBundle> {
    const key = `${userId}@${version}`;
    let bundle = this.#versions.get(key);
    if (!bundle) {
      bundle = this.#api.userKeys(userId, version).then(toBundle);
      this.#versions.set(key, bundle);
      bundle.catch(() => this.#versions.delete(key));
    }
    return bundle;
  }

  /** Fetches a user's current keys and compares them with the pin (trust on first use, warn on change). */
  async #fetchAndPin(userId: string): Promise<PublicKeyBundle> {
    const bundle = toBundle(await this.#api.userKeys(userId));
    this.#versions.set(`${userId}@${bundle.keyVersion}`, Promise.resolve(bundle));
    if (userId === this.me) return bundle;
    const pin = await loadPin(this.me, userId);
    const change = checkKeyChange(pin?.bundle, bundle);
    switch (change.kind) {
      case 'unchanged':
        return bundle;
      case 'first-seen':
        await savePin(this.me, { bundle, fingerprint: fingerprint(bundle), verified: false });
        return bundle;
      case 'rotated': {
        const next: PinnedKeys = {
          bundle,
          fingerprint: fingerprint(bundle),
          previousFingerprint: pin?.previousFingerprint ?? pin?.fingerprint,
          verified: false,
        };
        await savePin(this.me, next);
        const keys = this.#describe(bundle, next);
        for (const listener of this.#listeners) listener(keys);
        return bundle;
      }
      case 'conflict':
      case 'rollback': {
        const keys = this.#describe(bundle, pin);
        for (const listener of this.#listeners) listener(keys);
        throw new Error(
          `The key directory served keys for this contact that contradict the ones pinned here (${change.kind}); not using them.`,
        );
      }
    }
  }
}
