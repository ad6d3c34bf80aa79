import { randomUUID } from 'node:crypto';
import { KeyBackup } from '@im/contracts';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../src/bytes.js';
import {
  BACKUP_KDF_DEFAULTS,
  backupNeedsUpgrade,
  changeBackupPassword,
  generateIdentity,
  type IdentityKeys,
  nobleBackend,
  open,
  openBackup,
  publicBundle,
  sameBundle,
  seal,
  sealBackup,
  webCryptoBackend,
} from '../src/index.js';
import { expectCode, flip } from './helpers.js';

const PASSWORD = 'correct horse battery staple';

function expectSameKeys(a: IdentityKeys, b: IdentityKeys): void {
  expect(b.userId).toBe(a.userId);
  expect(b.keyVersion).toBe(a.keyVersion);
  expect(b.x25519.secretKey).toEqual(a.x25519.secretKey);
  expect(b.ed25519.secretKey).toEqual(a.ed25519.secretKey);
  expect(sameBundle(publicBundle(a), publicBundle(b))).toBe(true);
}

describe('key backup', () => {
  it('seals every key version under the password with PBKDF2-SHA256 600k by default; a new device restores them', async () => {
    const userId = randomUUID();
    const v1 = await generateIdentity(userId, 1, { backend: webCryptoBackend });
    const v2 = await generateIdentity(userId, 2, { backend: nobleBackend });
    const blob = await sealBackup([v2, v1], PASSWORD);
    expect(KeyBackup.parse(JSON.parse(JSON.stringify(blob)))).toEqual(blob);
    expect(blob.kdf).toMatchObject({ name: 'PBKDF2-SHA256', iterations: 600_000 });
    expect(fromBase64Url(blob.kdf.salt)).toHaveLength(16);
    expect(JSON.stringify(blob)).not.toContain(toBase64Url(v1.x25519.secretKey));
    expect(backupNeedsUpgrade(blob)).toBe(false);

    // The new device may have the other backend: keys are raw bytes, both read them.
    const restored = await openBackup(blob, PASSWORD, { backend: nobleBackend });
    expect(restored.map((k) => k.keyVersion)).toEqual([1, 2]);
    expectSameKeys(v1, restored[0] as IdentityKeys);
    expectSameKeys(v2, restored[1] as IdentityKeys);

    // History sealed to the old key opens with the restored keyring.
    const friend = await generateIdentity(randomUUID(), 1);
    const old = await seal({
      conversationId: randomUUID(),
      senderId: friend.userId,
      senderKeyVersion: 1,
      clientMsgId: randomUUID(),
      plaintext: 'from before the key change',
      recipients: [publicBundle(v1)],
      senderKeys: friend,
    });
    const opened = await open(old, { me: restored, senderPublic: publicBundle(friend) });
    expect(new TextDecoder().decode(opened)).toBe('from before the key change');
  });

  it('a wrong password is CRYPTO_BAD_PASSWORD, and so is any change to the blob', async () => {
    const keys = await generateIdentity(randomUUID());
    const blob = await sealBackup(keys, PASSWORD);
    await expectCode(openBackup(blob, 'correct horse battery stapler'), 'CRYPTO_BAD_PASSWORD');
    const ct = fromBase64Url(blob.ciphertext);
    await expectCode(
      openBackup({ ...blob, ciphertext: toBase64Url(flip(ct, 3)) }, PASSWORD),
      'CRYPTO_BAD_PASSWORD',
    );
    await expectCode(openBackup({ ...blob, userId: randomUUID() }, PASSWORD), 'CRYPTO_BAD_PASSWORD');
    // Parameters are authenticated: lowering them in a stored blob breaks it instead of weakening it.
    const weaker = { ...blob, kdf: { ...blob.kdf, iterations: 1 } };
    await expectCode(openBackup(weaker, PASSWORD), 'CRYPTO_BAD_PASSWORD');
    expect(backupNeedsUpgrade(weaker)).toBe(true);
  });

  it('normalizes the password to NFC, so composed and decomposed spellings open the same backup', async () => {
    const keys = await generateIdentity(randomUUID());
    const blob = await sealBackup(keys, 'pa\u00dfw\u00f6rd');
    expectSameKeys(keys, (await openBackup(blob, 'pa\u00dfwo\u0308rd'))[0] as IdentityKeys);
  });

  it('re-seals under a new password with a fresh salt and nonce; the old password stops working', async () => {
    const keys = await generateIdentity(randomUUID());
    const blob = await sealBackup(keys, PASSWORD);
    const resealed = await changeBackupPassword(blob, PASSWORD, 'a new passphrase', {
      alg: 'XChaCha20-Poly1305',
    });
    expect(resealed.kdf.salt).not.toBe(blob.kdf.salt);
    expect(resealed.alg).toBe('XChaCha20-Poly1305');
    expectSameKeys(keys, (await openBackup(resealed, 'a new passphrase'))[0] as IdentityKeys);
    await expectCode(openBackup(resealed, PASSWORD), 'CRYPTO_BAD_PASSWORD');
    await expectCode(changeBackupPassword(blob, 'not it', 'x'), 'CRYPTO_BAD_PASSWORD');
  });

  it('supports scrypt at OWASP parameters, stored in the blob', async () => {
    const keys = await generateIdentity(randomUUID());
    const blob = await sealBackup(keys, PASSWORD, { kdf: { name: 'scrypt' } });
    expect(blob.kdf).toMatchObject({ name: 'scrypt', ...BACKUP_KDF_DEFAULTS.scrypt });
    expectSameKeys(keys, (await openBackup(blob, PASSWORD))[0] as IdentityKeys);
  });

  it('refuses weak parameters, empty passwords, mixed users and unknown formats', async () => {
    const keys = await generateIdentity(randomUUID());
    const other = await generateIdentity(randomUUID());
    await expectCode(
      sealBackup(keys, PASSWORD, { kdf: { name: 'PBKDF2-SHA256', iterations: 10_000 } }),
      'CRYPTO_INVALID_ARGUMENT',
    );
    await expectCode(
      sealBackup(keys, PASSWORD, { kdf: { name: 'scrypt', N: 2 ** 14 } }),
      'CRYPTO_INVALID_ARGUMENT',
    );
    await expectCode(sealBackup(keys, ''), 'CRYPTO_INVALID_ARGUMENT');
    await expectCode(sealBackup([keys, other], PASSWORD), 'CRYPTO_INVALID_ARGUMENT');
    await expectCode(sealBackup([keys, keys], PASSWORD), 'CRYPTO_INVALID_ARGUMENT');
    await expectCode(sealBackup([], PASSWORD), 'CRYPTO_INVALID_ARGUMENT');
    const blob = await sealBackup(keys, PASSWORD);
    await expectCode(openBackup({ ...blob, v: 2 }, PASSWORD), 'CRYPTO_UNSUPPORTED_VERSION');
    await expectCode(openBackup({ ...blob, alg: 'DES' }, PASSWORD), 'CRYPTO_UNSUPPORTED_ALG');
    await expectCode(openBackup({ ...blob, kdf: { name: 'md5' } }, PASSWORD), 'CRYPTO_MALFORMED');
    await expectCode(openBackup('backup', PASSWORD), 'CRYPTO_MALFORMED');
  });
});
