import { type BackupKdf, E2EE_LIMITS, type EnvelopeAlg, KeyBackup } from '@im/contracts';
import { ByteReader, ByteWriter, fromBase64Url, randomBytes, toBase64Url, utf8 } from './bytes.js';
import { CryptoError } from './errors.js';
import { type BackendOption, type IdentityKeys, identityFromSecrets } from './identity.js';
import { AEAD_PARAMS, aeadDecrypt, aeadEncrypt, isEnvelopeAlg, pbkdf2Sha256, scrypt } from './primitives.js';

/**
 * Key backup: the user's private keys (every key version they ever had, so old
 * messages stay readable) sealed under a key derived from their password on the
 * client. The server stores the blob and can do nothing with it but hand it back.
 *
 *   key        = KDF(password as NFC UTF-8, salt)                 (32 bytes)
 *   plaintext  = u8 1 || u16 n || n × (u32 keyVersion || x25519 sk[32] || ed25519 sk[32])
 *   ciphertext = AEAD_alg(key, random nonce, plaintext, associatedData = backupHeader)
 *
 * The KDF and its parameters are in the blob and in the associated data: they
 * can be raised for new backups (`backupNeedsUpgrade` + `changeBackupPassword`)
 * while old ones still open, and changing them in a stored blob breaks it.
 */

const LABEL_BACKUP = 'im-e2ee/v1/backup';
const PAYLOAD_FORMAT = 1;
const SALT_BYTES = 16;

/** Today's parameters, and the floor below which `sealBackup` refuses to go. */
export const BACKUP_KDF_DEFAULTS = {
  /** OWASP Password Storage Cheat Sheet (2023+): PBKDF2-HMAC-SHA256 with 600,000 iterations. */
  'PBKDF2-SHA256': { iterations: 600_000 },
  /** OWASP: scrypt N=2^17, r=8, p=1 (128 MiB). */
  scrypt: { N: 2 ** 17, r: 8, p: 1 },
} as const;

export type BackupKdfChoice =
  | { name: 'PBKDF2-SHA256'; iterations?: number }
  | { name: 'scrypt'; N?: number; r?: number; p?: number };

export interface SealBackupOptions {
  /** Default PBKDF2-SHA256 with 600,000 iterations (native WebCrypto everywhere). */
  kdf?: BackupKdfChoice;
  /** Default AES-256-GCM. */
  alg?: EnvelopeAlg;
}

function kdfParams(choice: BackupKdfChoice | undefined): BackupKdf {
  const salt = toBase64Url(randomBytes(SALT_BYTES));
  if (choice?.name === 'scrypt') {
    const d = BACKUP_KDF_DEFAULTS.scrypt;
    const params = {
      name: 'scrypt' as const,
      N: choice.N ?? d.N,
      r: choice.r ?? d.r,
      p: choice.p ?? d.p,
      salt,
    };
    if (params.N * params.r * params.p < d.N * d.r * d.p || params.r < d.r) {
      throw new CryptoError(
        'CRYPTO_INVALID_ARGUMENT',
        'scrypt parameters below N=2^17, r=8, p=1 are refused',
      );
    }
    return params;
  }
  const iterations = choice?.iterations ?? BACKUP_KDF_DEFAULTS['PBKDF2-SHA256'].iterations;
  if (iterations < BACKUP_KDF_DEFAULTS['PBKDF2-SHA256'].iterations) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'PBKDF2 below 600,000 iterations is refused');
  }
  return { name: 'PBKDF2-SHA256', iterations, salt };
}

function passwordBytes(password: string): Uint8Array {
  if (typeof password !== 'string' || password.length === 0) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'the password must be a non-empty string');
  }
  // NFC, so the same password typed on two keyboards/platforms gives the same bytes (RFC 8265 §4.2).
  return utf8(password.normalize('NFC'));
}

async function deriveKey(password: string, kdf: BackupKdf): Promise<Uint8Array> {
  const salt = fromBase64Url(kdf.salt, 'salt');
  const pw = passwordBytes(password);
  if (kdf.name === 'scrypt') return scrypt(pw, salt, kdf, 32);
  return pbkdf2Sha256(pw, salt, kdf.iterations, 32);
}

/** The backup's associated data: every field of the blob but the nonce and ciphertext. */
function backupHeader(b: Pick<KeyBackup, 'v' | 'userId' | 'kdf' | 'alg'>): Uint8Array {
  const w = new ByteWriter().str(LABEL_BACKUP).u8(b.v).str(b.userId).str(b.alg).str(b.kdf.name);
  if (b.kdf.name === 'scrypt') w.u32(b.kdf.N).u32(b.kdf.r).u32(b.kdf.p);
  else w.u32(b.kdf.iterations);
  return w.bytes(fromBase64Url(b.kdf.salt, 'salt')).finish();
}

function encodeKeys(keys: readonly IdentityKeys[]): Uint8Array {
  const w = new ByteWriter().u8(PAYLOAD_FORMAT).u16(keys.length);
  for (const k of keys) w.u32(k.keyVersion).fixed(k.x25519.secretKey, 32).fixed(k.ed25519.secretKey, 32);
  return w.finish();
}

function checkKeyring(keys: IdentityKeys | readonly IdentityKeys[]): IdentityKeys[] {
  const list = (Array.isArray(keys) ? [...keys] : [keys]) as IdentityKeys[];
  const first = list[0];
  if (first === undefined) throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'no keys to back up');
  if (list.length > E2EE_LIMITS.maxBackupKeys) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', `at most ${E2EE_LIMITS.maxBackupKeys} key versions`);
  }
  const versions = new Set<number>();
  for (const k of list) {
    if (k.userId !== first.userId)
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'the keyring mixes users');
    if (versions.has(k.keyVersion)) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', `key version ${k.keyVersion} appears twice`);
    }
    versions.add(k.keyVersion);
  }
  return list.sort((a, b) => a.keyVersion - b.keyVersion);
}

/**
 * Seals a user's keys (one identity, or every key version they have) under their
 * password. Slow on purpose: the KDF takes a few hundred milliseconds.
 */
export async function sealBackup(
  keys: IdentityKeys | readonly IdentityKeys[],
  password: string,
  options: SealBackupOptions = {},
): Promise<KeyBackup> {
  const keyring = checkKeyring(keys);
  const alg = options.alg ?? 'AES-256-GCM';
  if (!isEnvelopeAlg(alg)) throw new CryptoError('CRYPTO_UNSUPPORTED_ALG', `Unsupported algorithm: ${alg}`);
  const head = {
    v: 1 as const,
    userId: (keyring[0] as IdentityKeys).userId,
    kdf: kdfParams(options.kdf),
    alg,
  };
  const key = await deriveKey(password, head.kdf);
  const nonce = randomBytes(AEAD_PARAMS[alg].nonceBytes);
  const plaintext = encodeKeys(keyring);
  try {
    const ciphertext = await aeadEncrypt(alg, key, nonce, plaintext, backupHeader(head));
    const parsed = KeyBackup.safeParse({
      ...head,
      nonce: toBase64Url(nonce),
      ciphertext: toBase64Url(ciphertext),
    });
    if (!parsed.success) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'the keys do not make a valid backup', {
        issues: parsed.error.issues,
      });
    }
    return parsed.data;
  } finally {
    key.fill(0);
    plaintext.fill(0);
  }
}

/** Reads a stored blob, refusing unknown versions and algorithms by name. */
export function parseBackup(raw: unknown): KeyBackup {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CryptoError('CRYPTO_MALFORMED', 'a key backup is a JSON object');
  }
  const { v, alg } = raw as Record<string, unknown>;
  if (v !== 1)
    throw new CryptoError('CRYPTO_UNSUPPORTED_VERSION', `Unsupported backup version ${String(v)}`, { v });
  if (!isEnvelopeAlg(alg)) {
    throw new CryptoError('CRYPTO_UNSUPPORTED_ALG', `Unsupported algorithm: ${String(alg)}`, { alg });
  }
  const parsed = KeyBackup.safeParse(raw);
  if (!parsed.success) {
    throw new CryptoError('CRYPTO_MALFORMED', 'not a valid key backup', { issues: parsed.error.issues });
  }
  return parsed.data;
}

/**
 * Opens a backup with the user's password and rebuilds every identity in it,
 * sorted by keyVersion (the last is the current one). A wrong password is
 * `CRYPTO_BAD_PASSWORD`.
 */
export async function openBackup(
  raw: unknown,
  password: string,
  options?: BackendOption,
): Promise<IdentityKeys[]> {
  const blob = parseBackup(raw);
  const key = await deriveKey(password, blob.kdf);
  const nonce = fromBase64Url(blob.nonce, 'nonce', AEAD_PARAMS[blob.alg].nonceBytes);
  const ciphertext = fromBase64Url(blob.ciphertext, 'ciphertext');
  let plaintext: Uint8Array;
  try {
    plaintext = await aeadDecrypt(blob.alg, key, nonce, ciphertext, backupHeader(blob));
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_PASSWORD', undefined, undefined, { cause: err });
  } finally {
    key.fill(0);
  }
  try {
    const r = new ByteReader(plaintext);
    if (r.u8() !== PAYLOAD_FORMAT)
      throw new CryptoError('CRYPTO_UNSUPPORTED_VERSION', 'unknown backup payload');
    const count = r.u16();
    const entries: { keyVersion: number; x25519: Uint8Array; ed25519: Uint8Array }[] = [];
    for (let i = 0; i < count; i++) {
      entries.push({ keyVersion: r.u32(), x25519: r.fixed(32), ed25519: r.fixed(32) });
    }
    r.end();
    const keys = await Promise.all(
      entries.map((e) =>
        identityFromSecrets(blob.userId, e.keyVersion, { x25519: e.x25519, ed25519: e.ed25519 }, options),
      ),
    );
    return checkKeyring(keys);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Re-seals a backup under a new password (and today's KDF parameters, with a
 * fresh salt and nonce). Needs the old password: the keys never exist unsealed
 * anywhere but on the client.
 */
export async function changeBackupPassword(
  raw: unknown,
  oldPassword: string,
  newPassword: string,
  options: SealBackupOptions & BackendOption = {},
): Promise<KeyBackup> {
  const keys = await openBackup(raw, oldPassword, options);
  return sealBackup(keys, newPassword, options);
}

/** Whether a backup was made with weaker KDF parameters than today's: re-seal it at the next login. */
export function backupNeedsUpgrade(raw: unknown): boolean {
  const { kdf } = parseBackup(raw);
  if (kdf.name === 'scrypt') {
    const d = BACKUP_KDF_DEFAULTS.scrypt;
    return kdf.N * kdf.r * kdf.p < d.N * d.r * d.p;
  }
  return kdf.iterations < BACKUP_KDF_DEFAULTS['PBKDF2-SHA256'].iterations;
}
