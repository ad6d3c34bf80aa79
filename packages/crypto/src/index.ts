/**
 * @im/crypto: end-to-end encryption for the messenger. Runs unchanged in
 * browsers and Node (WebCrypto + @noble; no Node built-ins). The scheme and
 * every byte format: docs/crypto.md.
 */
export {
  type BackendName,
  type BackendPreference,
  type CurveBackend,
  type EphemeralX25519,
  getBackend,
  hasNativeCurves,
  type KeyPair,
  nobleBackend,
  webCryptoBackend,
} from './backend.js';
export {
  BACKUP_KDF_DEFAULTS,
  type BackupKdfChoice,
  backupNeedsUpgrade,
  changeBackupPassword,
  openBackup,
  parseBackup,
  type SealBackupOptions,
  sealBackup,
} from './backup.js';
export { fromBase64Url, fromUtf8, toBase64Url, utf8 } from './bytes.js';
export {
  type OpenContext,
  open,
  parseEnvelope,
  recipientKeyVersion,
  type SealInput,
  seal,
} from './envelope.js';
export { CryptoError, type CryptoErrorCode, CryptoErrorCodes, isCryptoError } from './errors.js';
export { checkKeyChange, fingerprint, type KeyChange, safetyNumber } from './fingerprint.js';
export {
  type BackendOption,
  deserializeIdentity,
  generateIdentity,
  type IdentityKeys,
  identityFromSecrets,
  publicBundle,
  type SerializedIdentity,
  sameBundle,
  serializeIdentity,
} from './identity.js';
