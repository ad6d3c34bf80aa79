import {
  AppError,
  type KeyBackup,
  type KeyBackupResponse,
  type PutKeyBackupBody,
  type PutKeysBody,
  type UserKeys,
} from '@im/contracts';
import type { Logger } from '@im/logger';
import { type KeyBundleRecord, KeyVersionTakenError } from '../repositories/key-directory.js';
import type { Store } from '../repositories/store.js';
import type { Principal } from './auth-service.js';
import type { Clock } from './clock.js';
import { outboxEvent } from './events.js';

export interface KeyDirectoryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  onEventsCommitted: () => void;
}

const toUserKeys = (bundle: KeyBundleRecord): UserKeys => ({
  userId: bundle.userId,
  keyVersion: bundle.keyVersion,
  x25519: bundle.x25519,
  ed25519: bundle.ed25519,
  createdAt: bundle.createdAt.toISOString(),
});

/** A backup names its owner inside (and the client binds it there); it must be the caller. */
function assertOwnBackup(principal: Principal, backup: KeyBackup): void {
  if (backup.userId !== principal.userId) {
    throw new AppError('VALIDATION_FAILED', 'The backup belongs to another user', [
      { path: '/backup/userId', message: 'must be your user id' },
    ]);
  }
}

/**
 * The public-key directory of end-to-end encryption: each user's public key
 * bundle (every version, since old messages name the version they used) and
 * their sealed key backup. The server checks shapes and versions only; the
 * keys themselves are opaque to it.
 */
export class KeyDirectory {
  constructor(private readonly deps: KeyDirectoryDeps) {}

  /** Publishes a new key version (current + 1) with its backup. Concurrent uploads: one wins, the other 409s. */
  async publish(principal: Principal, body: PutKeysBody): Promise<UserKeys> {
    assertOwnBackup(principal, body.backup);
    const now = this.deps.clock();
    const bundle: KeyBundleRecord = {
      userId: principal.userId,
      keyVersion: body.keyVersion,
      x25519: body.x25519,
      ed25519: body.ed25519,
      createdAt: now,
    };
    try {
      await this.deps.store.transaction(async (tx) => {
        const latest = await tx.keyDirectory.latestBundle(principal.userId);
        const expected = (latest?.keyVersion ?? 0) + 1;
        if (body.keyVersion !== expected) {
          throw new AppError('AUTH_KEYS_CONFLICT', `The next key version is ${expected}`, {
            currentVersion: latest?.keyVersion ?? 0,
          });
        }
        await tx.keyDirectory.addBundle(bundle);
        await tx.keyDirectory.putBackup({
          userId: principal.userId,
          keyVersion: body.keyVersion,
          backup: body.backup,
          updatedAt: now,
        });
        await tx.outbox.add([
          outboxEvent(
            'keys.changed.v1',
            { userId: principal.userId, keyVersion: body.keyVersion, changedAt: now.toISOString() },
            now,
          ),
        ]);
      });
    } catch (error) {
      if (error instanceof KeyVersionTakenError) {
        throw new AppError('AUTH_KEYS_CONFLICT', 'Another upload of this key version won');
      }
      throw error;
    }
    this.deps.onEventsCommitted();
    this.deps.logger.info({ userId: principal.userId, keyVersion: body.keyVersion }, 'public keys published');
    return toUserKeys(bundle);
  }

  async keysOf(userId: string, version?: number): Promise<UserKeys> {
    const bundle =
      version === undefined
        ? await this.deps.store.keyDirectory.latestBundle(userId)
        : await this.deps.store.keyDirectory.bundle(userId, version);
    if (!bundle) throw new AppError('NOT_FOUND', 'No published keys for this user (and version)');
    return toUserKeys(bundle);
  }

  async backupOf(principal: Principal): Promise<KeyBackupResponse> {
    const backup = await this.deps.store.keyDirectory.backup(principal.userId);
    if (!backup) throw new AppError('NOT_FOUND', 'No key backup stored');
    return {
      keyVersion: backup.keyVersion,
      backup: backup.backup,
      updatedAt: backup.updatedAt.toISOString(),
    };
  }

  /** Replaces the backup of the current keys (re-sealed after a password change). */
  async replaceBackup(principal: Principal, body: PutKeyBackupBody): Promise<KeyBackupResponse> {
    assertOwnBackup(principal, body.backup);
    const now = this.deps.clock();
    const replaced = await this.deps.store.keyDirectory.replaceBackupOfVersion({
      userId: principal.userId,
      keyVersion: body.keyVersion,
      backup: body.backup,
      updatedAt: now,
    });
    if (!replaced) {
      const latest = await this.deps.store.keyDirectory.latestBundle(principal.userId);
      throw new AppError('AUTH_KEYS_CONFLICT', 'A backup must be for the current key version', {
        currentVersion: latest?.keyVersion ?? 0,
      });
    }
    return { keyVersion: body.keyVersion, backup: body.backup, updatedAt: now.toISOString() };
  }
}
