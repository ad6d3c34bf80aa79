import type { KeyBackup } from '@im/contracts';

export interface KeyBundleRecord {
  userId: string;
  keyVersion: number;
  x25519: string;
  ed25519: string;
  createdAt: Date;
}

export interface KeyBackupRecord {
  userId: string;
  keyVersion: number;
  /** Validated against the contract when it was stored. */
  backup: KeyBackup;
  updatedAt: Date;
}

/** Thrown by `addBundle` when the (user, version) exists already (a concurrent upload won). */
export class KeyVersionTakenError extends Error {
  constructor() {
    super('key version taken');
    this.name = 'KeyVersionTakenError';
  }
}

export interface KeyDirectoryRepository {
  latestBundle(userId: string): Promise<KeyBundleRecord | null>;
  bundle(userId: string, keyVersion: number): Promise<KeyBundleRecord | null>;
  /** Throws KeyVersionTakenError when that version exists. */
  addBundle(bundle: KeyBundleRecord): Promise<void>;
  backup(userId: string): Promise<KeyBackupRecord | null>;
  putBackup(backup: KeyBackupRecord): Promise<void>;
  /** Replaces the backup only while it is for `backup.keyVersion` (atomic); false otherwise. */
  replaceBackupOfVersion(backup: KeyBackupRecord): Promise<boolean>;
}
