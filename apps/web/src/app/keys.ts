import type { IdentityKeys } from '@im/crypto';
import { changeBackupPassword, generateIdentity, openBackup, publicBundle, sealBackup } from '@im/crypto';
import type { Api } from '../api/api.js';
import { ApiError } from '../api/errors.js';
import { loadKeyring, saveKeyring } from '../keys/keystore.js';

/** Human-readable progress of the (slow, password-based) key steps at sign-in. */
export type KeyStep = 'signing-in' | 'restoring-keys' | 'creating-keys';

/**
 * Makes sure this browser holds the user's private keys after a sign-in with
 * their password: restores them from the password-sealed backup in the key
 * directory, or, the first time, generates them, publishes the public halves
 * and uploads the sealed backup.
 */
export async function establishKeys(
  api: Api,
  userId: string,
  password: string,
  progress: (step: KeyStep) => void,
  /** A user who just registered has no backup yet: skip asking for it. */
  newUser = false,
): Promise<IdentityKeys[]> {
  let backup: unknown;
  if (!newUser) {
    try {
      backup = (await api.keyBackup()).backup;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  if (backup !== undefined) {
    progress('restoring-keys');
    const keyring = await openBackup(backup, password);
    await saveKeyring(userId, keyring);
    return keyring;
  }
  progress('creating-keys');
  // Keys made on this browser before the upload failed are reused, so a retry publishes the same ones.
  const keyring = (await loadKeyring(userId)) ?? [await generateIdentity(userId, 1)];
  const identity = keyring.at(-1)!;
  const sealed = await sealBackup(keyring, password);
  const bundle = publicBundle(identity);
  await saveKeyring(userId, keyring);
  await api.putKeys({
    keyVersion: identity.keyVersion,
    x25519: bundle.x25519,
    ed25519: bundle.ed25519,
    backup: sealed,
  });
  return keyring;
}

/**
 * Changes the password and re-seals the key backup under it, so a new device
 * opens the keys with the new password. The backup is replaced first and put
 * back if the password change is refused, so the two never disagree for long.
 */
export async function changePassword(api: Api, currentPassword: string, newPassword: string): Promise<void> {
  const current = await api.keyBackup();
  // Opening the backup also checks the current password, before anything changes.
  const resealed = await changeBackupPassword(current.backup, currentPassword, newPassword);
  await api.putKeyBackup({ keyVersion: current.keyVersion, backup: resealed });
  try {
    await api.changePassword(currentPassword, newPassword);
  } catch (error) {
    await api.putKeyBackup({ keyVersion: current.keyVersion, backup: current.backup });
    throw error;
  }
}

/** "Chrome on Linux": the name this browser's session shows in the device list. */
export function deviceName(userAgent = navigator.userAgent): string {
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Mac OS X/.test(userAgent)
        ? 'macOS'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : 'unknown system';
  return `${browser} on ${os}`;
}
