/**
 * Every failure this library reports on purpose is a `CryptoError` with one of
 * these codes. Callers branch on `code`, never on the message.
 */
export const CryptoErrorCodes = {
  /** The envelope's signature does not verify under the sender's directory key. */
  CRYPTO_BAD_SIGNATURE: 'The signature does not verify against the sender key',
  /** The opening user is not in the envelope's recipient list. */
  CRYPTO_NOT_A_RECIPIENT: 'This message was not sealed for you',
  /** The envelope or backup names a format version this library does not know. */
  CRYPTO_UNSUPPORTED_VERSION: 'Unsupported format version',
  /** The envelope or backup names an AEAD this library does not know. */
  CRYPTO_UNSUPPORTED_ALG: 'Unsupported algorithm',
  /** Unwrapping the content key or decrypting the body failed its authentication check. */
  CRYPTO_DECRYPT_FAILED: 'Decryption failed',
  /** The backup does not open with this password (or was damaged: the two cannot be told apart). */
  CRYPTO_BAD_PASSWORD: 'Wrong password, or the backup is damaged',
  /** The input does not have the shape of an envelope, backup or key bundle. */
  CRYPTO_MALFORMED: 'Malformed input',
  /** The sender key given to `open` is not the key the envelope names (user or key version). */
  CRYPTO_WRONG_SENDER_KEY: 'The sender key does not match the envelope',
  /** The envelope was sealed for another version of your key than the one given. */
  CRYPTO_KEY_VERSION_MISMATCH: 'The message was sealed for another version of your key',
  /** The envelope belongs to another conversation, sender or clientMsgId than the one it was delivered as. */
  CRYPTO_CONTEXT_MISMATCH: 'The envelope does not belong where it was delivered',
  /** A public key is of the wrong size or of small order (refused for key agreement). */
  CRYPTO_BAD_PUBLIC_KEY: 'Invalid public key',
  /** The caller passed arguments the library refuses (duplicates, sizes, weak parameters). */
  CRYPTO_INVALID_ARGUMENT: 'Invalid argument',
  /** A backend that was asked for explicitly is not available in this runtime. */
  CRYPTO_BACKEND_UNAVAILABLE: 'Crypto backend unavailable',
} as const;

export type CryptoErrorCode = keyof typeof CryptoErrorCodes;

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: CryptoErrorCode,
    message?: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message ?? CryptoErrorCodes[code], options);
    this.name = 'CryptoError';
    this.code = code;
    this.details = details;
  }
}

export function isCryptoError(err: unknown, code?: CryptoErrorCode): err is CryptoError {
  return err instanceof CryptoError && (code === undefined || err.code === code);
}
