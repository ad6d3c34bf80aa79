import { KeyVersion, PublicKeyBundle } from '@im/contracts';
import { type CurveBackend, getBackend, type KeyPair } from './backend.js';
import { equalBytes, fromBase64Url, toBase64Url } from './bytes.js';
import { CryptoError } from './errors.js';

/**
 * A user's identity: one X25519 key pair (key agreement: content keys are
 * wrapped to it) and one Ed25519 key pair (signing: every envelope the user
 * sends is signed with it), under one `keyVersion`. Generated on the client;
 * the private halves leave it only inside a password-sealed key backup.
 */
export interface IdentityKeys {
  readonly userId: string;
  readonly keyVersion: number;
  readonly x25519: KeyPair;
  readonly ed25519: KeyPair;
}

export interface BackendOption {
  /** The curve backend to use; default: WebCrypto where the runtime has it, else @noble. */
  backend?: CurveBackend;
}

export async function resolveBackend(options?: BackendOption): Promise<CurveBackend> {
  return options?.backend ?? getBackend();
}

function checkVersion(keyVersion: number): void {
  if (!KeyVersion.safeParse(keyVersion).success) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'keyVersion must be an integer from 1 to 2^32-1');
  }
}

/** Generates a fresh identity for `userId` (keyVersion 1 for a new user, current + 1 on a key change). */
export async function generateIdentity(
  userId: string,
  keyVersion = 1,
  options?: BackendOption,
): Promise<IdentityKeys> {
  checkVersion(keyVersion);
  const backend = await resolveBackend(options);
  const [x25519, ed25519] = await Promise.all([backend.x25519Generate(), backend.ed25519Generate()]);
  return { userId, keyVersion, x25519, ed25519 };
}

/**
 * Rebuilds an identity from its two 32-byte private keys (public keys are
 * derived, never trusted from storage). Used by key backups and local storage.
 */
export async function identityFromSecrets(
  userId: string,
  keyVersion: number,
  secrets: { x25519: Uint8Array; ed25519: Uint8Array },
  options?: BackendOption,
): Promise<IdentityKeys> {
  checkVersion(keyVersion);
  const backend = await resolveBackend(options);
  const [xPublic, edPublic] = await Promise.all([
    backend.x25519PublicKey(secrets.x25519),
    backend.ed25519PublicKey(secrets.ed25519),
  ]);
  return {
    userId,
    keyVersion,
    x25519: { secretKey: secrets.x25519.slice(), publicKey: xPublic },
    ed25519: { secretKey: secrets.ed25519.slice(), publicKey: edPublic },
  };
}

/** The public half of an identity, as the key directory publishes it. */
export function publicBundle(keys: IdentityKeys): PublicKeyBundle {
  return {
    userId: keys.userId,
    keyVersion: keys.keyVersion,
    x25519: toBase64Url(keys.x25519.publicKey),
    ed25519: toBase64Url(keys.ed25519.publicKey),
  };
}

/** A public key bundle validated and decoded (from the directory or any other untrusted source). */
export interface DecodedBundle {
  readonly userId: string;
  readonly keyVersion: number;
  readonly x25519: Uint8Array;
  readonly ed25519: Uint8Array;
}

export function decodeBundle(bundle: unknown): DecodedBundle {
  const parsed = PublicKeyBundle.safeParse(bundle);
  if (!parsed.success) {
    throw new CryptoError('CRYPTO_MALFORMED', 'not a public key bundle', { issues: parsed.error.issues });
  }
  const b = parsed.data;
  return {
    userId: b.userId,
    keyVersion: b.keyVersion,
    x25519: fromBase64Url(b.x25519, 'x25519 public key', 32),
    ed25519: fromBase64Url(b.ed25519, 'ed25519 public key', 32),
  };
}

/** Whether two bundles name the same user, version and keys. */
export function sameBundle(a: PublicKeyBundle, b: PublicKeyBundle): boolean {
  const x = decodeBundle(a);
  const y = decodeBundle(b);
  return (
    x.userId === y.userId &&
    x.keyVersion === y.keyVersion &&
    equalBytes(x.x25519, y.x25519) &&
    equalBytes(x.ed25519, y.ed25519)
  );
}

/**
 * The private keys in a JSON-safe form, for the device's own storage (for
 * example IndexedDB). This is secret material: never send it anywhere; the
 * only form that leaves the device is a key backup.
 */
export interface SerializedIdentity {
  userId: string;
  keyVersion: number;
  x25519SecretKey: string;
  ed25519SecretKey: string;
}

export function serializeIdentity(keys: IdentityKeys): SerializedIdentity {
  return {
    userId: keys.userId,
    keyVersion: keys.keyVersion,
    x25519SecretKey: toBase64Url(keys.x25519.secretKey),
    ed25519SecretKey: toBase64Url(keys.ed25519.secretKey),
  };
}

export async function deserializeIdentity(
  stored: SerializedIdentity,
  options?: BackendOption,
): Promise<IdentityKeys> {
  return identityFromSecrets(
    stored.userId,
    stored.keyVersion,
    {
      x25519: fromBase64Url(stored.x25519SecretKey, 'x25519 private key', 32),
      ed25519: fromBase64Url(stored.ed25519SecretKey, 'ed25519 private key', 32),
    },
    options,
  );
}
