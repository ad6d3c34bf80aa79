import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password (or an unreadable hash, which is logged by the caller's error path). */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * Does the work of one `verify` against a hash of no account, so that an
   * unknown username costs as much time as a wrong password.
   */
  verifyNobody(password: string): Promise<void>;
  /** True when the hash was made with other parameters than today's: rehash after a successful login. */
  needsRehash(passwordHash: string): boolean;
}

export interface Argon2Parameters {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane. */
export const OWASP_ARGON2ID: Argon2Parameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** `Algorithm.Argon2id` of @node-rs/argon2 (a const enum, which isolated modules cannot import). */
const ARGON2ID = 2;

/**
 * Passwords are NFC-normalised before hashing, so the same password typed on
 * two keyboards that compose accents differently matches.
 */
export function argon2idHasher(parameters: Argon2Parameters = OWASP_ARGON2ID): PasswordHasher {
  const options = { algorithm: ARGON2ID, ...parameters };
  const prefix = `$argon2id$v=19$m=${parameters.memoryCost},t=${parameters.timeCost},p=${parameters.parallelism}$`;
  let nobody: Promise<string> | undefined;
  return {
    hash: (password) => hash(password.normalize('NFC'), options),
    async verify(passwordHash, password) {
      return verify(passwordHash, password.normalize('NFC'));
    },
    async verifyNobody(password) {
      nobody ??= hash(randomBytes(32).toString('base64url'), options);
      await verify(await nobody, password.normalize('NFC'));
    },
    needsRehash: (passwordHash) => !passwordHash.startsWith(prefix),
  };
}
