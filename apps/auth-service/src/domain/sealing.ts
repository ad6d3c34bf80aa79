import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The key that seals signing keys at rest (AES-256-GCM). Only its fingerprint
 * is ever stored or logged; the raw key lives in the process and nowhere else.
 */
export class SealingKey {
  readonly id: string;
  readonly #key: Buffer;

  constructor(raw: Uint8Array) {
    if (raw.length !== 32) throw new RangeError(`the sealing key must be 32 bytes, got ${raw.length}`);
    this.#key = Buffer.from(raw);
    this.id = createHash('sha256')
      .update('im-auth signing-key sealing key id')
      .update(this.#key)
      .digest('hex')
      .slice(0, 16);
  }

  /** Seals `plaintext`, bound to `associatedData` (the key's kid, so sealed keys cannot be swapped). */
  seal(plaintext: Uint8Array, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  /** Opens what `seal` produced; throws when the key, the data or the associated data differ. */
  open(sealed: string, associatedData: string): Buffer {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('sealed data is too short');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  }

  /** Keeps the raw key out of logs and inspection. */
  toJSON(): string {
    return `[SealingKey ${this.id}]`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toJSON();
  }
}

/** Reads a 32-byte key given in base64 or base64url (`openssl rand -base64 32`). */
export function parseSealingKey(encoded: string): SealingKey {
  const raw = Buffer.from(
    encoded.trim().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
    'base64url',
  );
  return new SealingKey(raw);
}
