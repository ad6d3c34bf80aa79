import type { PublicKeyBundle, SealedEnvelope } from '@im/contracts';
import {
  deserializeIdentity,
  type IdentityKeys,
  type SerializedIdentity,
  serializeIdentity,
} from '@im/crypto';
import { idbDelete, idbDeletePrefix, idbGet, idbPrefix, idbPut } from './idb.js';

/**
 * This browser's copy of the user's private keys, in IndexedDB.
 *
 * What the platform allows: WebCrypto can keep a key non-extractable (a
 * CryptoKey with `extractable: false`, stored in IndexedDB by structured clone;
 * scripts can use it but never read its bytes). @im/crypto works on raw
 * 32-byte X25519/Ed25519 keys so that one code path runs on WebCrypto and on
 * @noble (Firefox and Safari lacked native X25519/Ed25519 until recently) and
 * so the password-sealed key backup can carry them to a new device. So the
 * identity keys cannot themselves be non-extractable here. What is done
 * instead: they are stored sealed with AES-256-GCM under a per-browser device
 * key that IS a non-extractable CryptoKey. Nothing in storage holds them in
 * the clear, and a copy of the stored records alone (an export, a sync, a
 * leaked backup of the profile that drops CryptoKeys) does not reveal them.
 * It does not stop a script running in this origin (XSS) from using the
 * device key to unseal them; the defense there is the content security policy
 * and not loading third-party scripts.
 */

interface SealedRecord {
  v: 1;
  iv: Uint8Array;
  ciphertext: ArrayBuffer;
}

const DEVICE_KEY = 'wrap-key';

async function deviceKey(): Promise<CryptoKey> {
  const existing = await idbGet<CryptoKey>('device', DEVICE_KEY);
  if (existing) return existing;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  await idbPut('device', DEVICE_KEY, key);
  // Two tabs racing to create it: whichever write landed last is the key; use that one.
  return (await idbGet<CryptoKey>('device', DEVICE_KEY)) ?? key;
}

function associatedData(userId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`im-web/keyring/v1/${userId}`);
}

/** Stores every key version of the user (sorted by version; the last is current). */
export async function saveKeyring(userId: string, keyring: readonly IdentityKeys[]): Promise<void> {
  const plaintext = new TextEncoder().encode(JSON.stringify(keyring.map(serializeIdentity)));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(userId) },
    await deviceKey(),
    plaintext,
  );
  plaintext.fill(0);
  const record: SealedRecord = { v: 1, iv, ciphertext };
  await idbPut('identities', userId, record);
}

/** The stored keyring of the user, or null when this browser has none (or it cannot be unsealed). */
export async function loadKeyring(userId: string): Promise<IdentityKeys[] | null> {
  const record = await idbGet<SealedRecord>('identities', userId);
  if (record?.v !== 1) return null;
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: record.iv as Uint8Array<ArrayBuffer>, additionalData: associatedData(userId) },
      await deviceKey(),
      record.ciphertext,
    );
  } catch (unsealError) {
    // The device key was replaced (storage partly cleared): the backup restores the keys at sign-in.
    console.warn('the stored keyring cannot be unsealed; it will be restored from the backup', unsealError);
    await idbDelete('identities', userId);
    return null;
  }
  const bytes = new Uint8Array(plaintext);
  const serialized = JSON.parse(new TextDecoder().decode(bytes)) as SerializedIdentity[];
  bytes.fill(0);
  const keyring = await Promise.all(serialized.map((s) => deserializeIdentity(s)));
  return keyring.sort((a, b) => a.keyVersion - b.keyVersion);
}

/** Removes the user's private keys, what this browser remembers of their contacts' keys, and unsent messages. */
export async function forgetUser(userId: string): Promise<void> {
  await idbDelete('identities', userId);
  await idbDeletePrefix('contacts', `${userId}:`);
  await idbDeletePrefix('outbox', `${userId}:`);
}

/**
 * A sealed message not yet stored by the server. Kept so that a message
 * written offline survives a reload and is sent when the app is back; it is
 * the encrypted envelope only (this device opens it again to show it).
 */
export interface OutboxEntry {
  readonly clientMsgId: string;
  readonly conversationId: string;
  readonly createdAt: string;
  readonly envelope: SealedEnvelope;
}

export function saveOutbox(userId: string, entry: OutboxEntry): Promise<void> {
  return idbPut('outbox', `${userId}:${entry.clientMsgId}`, entry);
}

export function removeOutbox(userId: string, clientMsgId: string): Promise<void> {
  return idbDelete('outbox', `${userId}:${clientMsgId}`);
}

export async function loadOutbox(userId: string): Promise<OutboxEntry[]> {
  const entries = await idbPrefix<OutboxEntry>('outbox', `${userId}:`);
  return entries.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** A contact's keys as first seen (trust on first use), to warn when they change. */
export interface PinnedKeys {
  readonly bundle: PublicKeyBundle;
  readonly fingerprint: string;
  /** Set after a key change the user has not acknowledged yet: the fingerprint before it. */
  readonly previousFingerprint?: string | undefined;
  /** The user compared safety numbers out of band for these keys. */
  readonly verified: boolean;
}

export function loadPin(me: string, userId: string): Promise<PinnedKeys | undefined> {
  return idbGet<PinnedKeys>('contacts', `${me}:${userId}`);
}

export function savePin(me: string, pin: PinnedKeys): Promise<void> {
  return idbPut('contacts', `${me}:${pin.bundle.userId}`, pin);
}
