import type { PublicKeyBundle } from '@im/contracts';
import { ByteWriter, concat, equalBytes } from './bytes.js';
import { CryptoError } from './errors.js';
import { type DecodedBundle, decodeBundle } from './identity.js';
import { sha512 } from './primitives.js';

/**
 * Fingerprints and safety numbers, after Signal's numeric fingerprint:
 *
 *   h_0 = SHA-512( str("im-e2ee/v1/fingerprint") || str(userId) || x25519[32] || ed25519[32] )
 *   h_i = SHA-512( h_{i-1} || x25519 || ed25519 )       for i = 1 .. 5199
 *   fingerprint = the first 30 bytes of h_5199 as six 5-byte big-endian
 *                 integers, each mod 100000, written as 5 digits
 *
 * The iterations (as in Signal) make a search for a second key set with a
 * matching fingerprint about 5200 times dearer. The key version is not hashed:
 * the number changes exactly when the keys do.
 *
 * The safety number of two users is both 30-digit fingerprints, the smaller
 * first, so both people see the same 60 digits (12 groups of 5) and can read
 * them to each other or compare them in person.
 */

const LABEL_FINGERPRINT = 'im-e2ee/v1/fingerprint';
const ITERATIONS = 5200;
const GROUPS = 6;

function fingerprintDigits(b: DecodedBundle): string {
  const keys = concat(b.x25519, b.ed25519);
  let h = sha512(new ByteWriter().str(LABEL_FINGERPRINT).str(b.userId).fixed(keys, 64).finish());
  for (let i = 1; i < ITERATIONS; i++) h = sha512(concat(h, keys));
  let digits = '';
  for (let g = 0; g < GROUPS; g++) {
    let n = 0;
    // 5 bytes = 40 bits, exact in a double.
    for (let j = 0; j < 5; j++) n = n * 256 + (h[g * 5 + j] as number);
    digits += String(n % 100_000).padStart(5, '0');
  }
  return digits;
}

const grouped = (digits: string) => (digits.match(/\d{5}/g) ?? []).join(' ');

/** A user's fingerprint: 30 digits in six groups, e.g. "05229 81243 …". */
export function fingerprint(bundle: PublicKeyBundle): string {
  return grouped(fingerprintDigits(decodeBundle(bundle)));
}

/** The safety number of two users: the same 60 digits (12 groups) whichever side computes it. */
export function safetyNumber(a: PublicKeyBundle, b: PublicKeyBundle): string {
  const x = decodeBundle(a);
  const y = decodeBundle(b);
  if (x.userId === y.userId) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'a safety number is between two different users');
  }
  const [first, second] = [fingerprintDigits(x), fingerprintDigits(y)].sort();
  return grouped(`${first}${second}`);
}

/**
 * What a client should do with a contact's keys from the directory, given the
 * bundle it pinned before (trust on first use, then warn on change):
 *
 * - `first-seen`: nothing pinned yet: pin it.
 * - `unchanged`: same version and keys.
 * - `rotated`: a higher key version: pin the new one and show "X's security
 *   number changed" (re-verify the safety number).
 * - `conflict`: the same version with different keys, or the same keys
 *   relabelled: the directory is wrong or lying; do not use the keys.
 * - `rollback`: a lower version than pinned: refuse (a replayed old key).
 */
export type KeyChange =
  | { kind: 'first-seen' }
  | { kind: 'unchanged' }
  | { kind: 'rotated'; from: number; to: number }
  | { kind: 'conflict'; keyVersion: number }
  | { kind: 'rollback'; pinned: number; offered: number };

export function checkKeyChange(pinned: PublicKeyBundle | undefined, current: PublicKeyBundle): KeyChange {
  const cur = decodeBundle(current);
  if (pinned === undefined) return { kind: 'first-seen' };
  const old = decodeBundle(pinned);
  if (old.userId !== cur.userId) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'the pinned and current bundles are of different users');
  }
  const sameKeys = equalBytes(old.x25519, cur.x25519) && equalBytes(old.ed25519, cur.ed25519);
  if (cur.keyVersion < old.keyVersion) {
    return { kind: 'rollback', pinned: old.keyVersion, offered: cur.keyVersion };
  }
  if (cur.keyVersion === old.keyVersion) {
    return sameKeys ? { kind: 'unchanged' } : { kind: 'conflict', keyVersion: cur.keyVersion };
  }
  return sameKeys
    ? { kind: 'conflict', keyVersion: cur.keyVersion }
    : { kind: 'rotated', from: old.keyVersion, to: cur.keyVersion };
}
