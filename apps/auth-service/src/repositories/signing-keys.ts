import type { PublicJwk } from '@im/contracts';

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: PublicJwk;
  /** PKCS#8 PEM sealed under the sealing key (see domain/sealing.ts). */
  privateKeySealed: string;
  /** Fingerprint of the sealing key used. */
  encryptionKeyId: string;
  createdAt: Date;
  activatesAt: Date;
}

export interface SigningKeyRepository {
  /** Every stored key, oldest activation first. */
  list(): Promise<SigningKeyRecord[]>;
  add(key: SigningKeyRecord): Promise<void>;
  /**
   * Adds `key` only if no key exists, atomically across every copy of the
   * service starting at once; true when it was added.
   */
  addIfNone(key: SigningKeyRecord): Promise<boolean>;
  delete(kids: readonly string[]): Promise<void>;
}
