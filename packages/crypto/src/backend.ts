import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { equalBytes, fromBase64Url, fromHex } from './bytes.js';
import { CryptoError } from './errors.js';
import { bufferSource, subtle, type WebCryptoKey, type WebCryptoKeyUsage } from './primitives.js';

interface WebCryptoKeyPair {
  privateKey: WebCryptoKey;
  publicKey: WebCryptoKey;
}

/**
 * The X25519 / Ed25519 operations behind one interface, with two
 * implementations: native WebCrypto (`crypto.subtle` with the X25519 and Ed25519
 * algorithms: Chromium ships them, Node 20 has them marked experimental) and
 * pure-TypeScript @noble/curves as the fallback. `defaultBackend()` picks
 * WebCrypto when the runtime has it and it passes a known-answer self-test.
 *
 * Keys cross this interface as raw bytes: 32-byte X25519 private scalars and
 * 32-byte Ed25519 seeds (RFC 8032 private keys), 32-byte public keys. Both
 * backends therefore read each other's keys, and a key backup made on one
 * device opens on any other.
 */
export type BackendName = 'webcrypto' | 'noble';

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A one-time X25519 key pair whose private half never leaves the backend. */
export interface EphemeralX25519 {
  readonly publicKey: Uint8Array;
  agree(peerPublicKey: Uint8Array): Promise<Uint8Array>;
}

export interface CurveBackend {
  readonly name: BackendName;
  x25519Generate(): Promise<KeyPair>;
  x25519PublicKey(secretKey: Uint8Array): Promise<Uint8Array>;
  /** The X25519 shared secret; refuses a peer key that yields the all-zero secret (small order). */
  x25519(secretKey: Uint8Array, peerPublicKey: Uint8Array): Promise<Uint8Array>;
  x25519Ephemeral(): Promise<EphemeralX25519>;
  ed25519Generate(): Promise<KeyPair>;
  ed25519PublicKey(secretKey: Uint8Array): Promise<Uint8Array>;
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** False for any signature that does not verify, including malformed keys and signatures. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', `${what} must be ${KEY_BYTES} bytes`);
  }
}

function checkPeer(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new CryptoError('CRYPTO_BAD_PUBLIC_KEY', `an X25519 public key must be ${KEY_BYTES} bytes`);
  }
}

function checkShared(secret: Uint8Array): Uint8Array {
  if (secret.every((b) => b === 0)) {
    throw new CryptoError('CRYPTO_BAD_PUBLIC_KEY', 'X25519 with this public key gives the all-zero secret');
  }
  return secret;
}

// ---- @noble/curves ---------------------------------------------------------

export const nobleBackend: CurveBackend = {
  name: 'noble',
  async x25519Generate() {
    const secretKey = x25519.utils.randomSecretKey();
    return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
  },
  async x25519PublicKey(secretKey) {
    checkKey(secretKey, 'an X25519 private key');
    return x25519.getPublicKey(secretKey);
  },
  async x25519(secretKey, peerPublicKey) {
    checkKey(secretKey, 'an X25519 private key');
    checkPeer(peerPublicKey);
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(secretKey, peerPublicKey);
    } catch (err) {
      // noble refuses small-order points itself; report it as the same error WebCrypto's path gives.
      throw new CryptoError('CRYPTO_BAD_PUBLIC_KEY', 'X25519 refused this public key', undefined, {
        cause: err,
      });
    }
    return checkShared(shared);
  },
  async x25519Ephemeral() {
    const secretKey = x25519.utils.randomSecretKey();
    return {
      publicKey: x25519.getPublicKey(secretKey),
      agree: (peer) => nobleBackend.x25519(secretKey, peer),
    };
  },
  async ed25519Generate() {
    const secretKey = ed25519.utils.randomSecretKey();
    return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
  },
  async ed25519PublicKey(secretKey) {
    checkKey(secretKey, 'an Ed25519 private key');
    return ed25519.getPublicKey(secretKey);
  },
  async ed25519Sign(secretKey, message) {
    checkKey(secretKey, 'an Ed25519 private key');
    return ed25519.sign(message, secretKey);
  },
  async ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
    try {
      // zip215: false = the strict RFC 8032 / FIPS 186-5 rules, the same ones WebCrypto applies.
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      // noble throws on public keys that do not decode to a curve point: that is "does not verify".
      return false;
    }
  },
};

// ---- WebCrypto ---------------------------------------------------------------

/** DER prefixes of PKCS #8 OneAsymmetricKey for a raw 32-byte key (RFC 8410). */
const PKCS8_PREFIX = {
  X25519: fromHex('302e020100300506032b656e04220420'),
  Ed25519: fromHex('302e020100300506032b657004220420'),
} as const;
type Curve = keyof typeof PKCS8_PREFIX;

function toPkcs8(curve: Curve, secretKey: Uint8Array): Uint8Array {
  const prefix = PKCS8_PREFIX[curve];
  const out = new Uint8Array(prefix.length + KEY_BYTES);
  out.set(prefix);
  out.set(secretKey, prefix.length);
  return out;
}

async function exportSecret(curve: Curve, key: WebCryptoKey): Promise<Uint8Array> {
  const der = new Uint8Array(await subtle().exportKey('pkcs8', key));
  const prefix = PKCS8_PREFIX[curve];
  if (der.length !== prefix.length + KEY_BYTES || !equalBytes(der.subarray(0, prefix.length), prefix)) {
    throw new CryptoError('CRYPTO_BACKEND_UNAVAILABLE', `unexpected PKCS #8 encoding of an ${curve} key`);
  }
  return der.slice(prefix.length);
}

async function exportPublic(key: WebCryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle().exportKey('raw', key));
}

async function importSecret(
  curve: Curve,
  secretKey: Uint8Array,
  usages: WebCryptoKeyUsage[],
): Promise<WebCryptoKey> {
  return subtle().importKey('pkcs8', bufferSource(toPkcs8(curve, secretKey)), { name: curve }, true, usages);
}

/** The public key of an imported private key: WebCrypto exposes it as the JWK `x` member. */
async function publicOf(
  curve: Curve,
  secretKey: Uint8Array,
  usages: WebCryptoKeyUsage[],
): Promise<Uint8Array> {
  const jwk = await subtle().exportKey('jwk', await importSecret(curve, secretKey, usages));
  if (typeof jwk.x !== 'string') {
    throw new CryptoError('CRYPTO_BACKEND_UNAVAILABLE', `${curve} JWK export has no public key`);
  }
  return fromBase64Url(jwk.x, `${curve} public key`, KEY_BYTES);
}

async function agree(privateKey: WebCryptoKey, peerPublicKey: Uint8Array): Promise<Uint8Array> {
  checkPeer(peerPublicKey);
  let bits: ArrayBuffer;
  try {
    const peer = await subtle().importKey('raw', bufferSource(peerPublicKey), { name: 'X25519' }, false, []);
    bits = await subtle().deriveBits({ name: 'X25519', public: peer }, privateKey, 256);
  } catch (err) {
    // WebCrypto rejects small-order peers (all-zero result) with an OperationError.
    throw new CryptoError('CRYPTO_BAD_PUBLIC_KEY', 'X25519 refused this public key', undefined, {
      cause: err,
    });
  }
  return checkShared(new Uint8Array(bits));
}

export const webCryptoBackend: CurveBackend = {
  name: 'webcrypto',
  async x25519Generate() {
    const pair = (await subtle().generateKey({ name: 'X25519' }, true, ['deriveBits'])) as WebCryptoKeyPair;
    return {
      secretKey: await exportSecret('X25519', pair.privateKey),
      publicKey: await exportPublic(pair.publicKey),
    };
  },
  async x25519PublicKey(secretKey) {
    checkKey(secretKey, 'an X25519 private key');
    return publicOf('X25519', secretKey, ['deriveBits']);
  },
  async x25519(secretKey, peerPublicKey) {
    checkKey(secretKey, 'an X25519 private key');
    return agree(await importSecret('X25519', secretKey, ['deriveBits']), peerPublicKey);
  },
  async x25519Ephemeral() {
    const pair = (await subtle().generateKey({ name: 'X25519' }, false, ['deriveBits'])) as WebCryptoKeyPair;
    return { publicKey: await exportPublic(pair.publicKey), agree: (peer) => agree(pair.privateKey, peer) };
  },
  async ed25519Generate() {
    const pair = (await subtle().generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as WebCryptoKeyPair;
    return {
      secretKey: await exportSecret('Ed25519', pair.privateKey),
      publicKey: await exportPublic(pair.publicKey),
    };
  },
  async ed25519PublicKey(secretKey) {
    checkKey(secretKey, 'an Ed25519 private key');
    return publicOf('Ed25519', secretKey, ['sign']);
  },
  async ed25519Sign(secretKey, message) {
    checkKey(secretKey, 'an Ed25519 private key');
    const key = await importSecret('Ed25519', secretKey, ['sign']);
    return new Uint8Array(await subtle().sign({ name: 'Ed25519' }, key, bufferSource(message)));
  },
  async ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
    try {
      const key = await subtle().importKey('raw', bufferSource(publicKey), { name: 'Ed25519' }, false, [
        'verify',
      ]);
      return await subtle().verify({ name: 'Ed25519' }, key, bufferSource(signature), bufferSource(message));
    } catch {
      // WebCrypto throws (DataError) on a public key that is not a curve point: that is "does not verify".
      return false;
    }
  },
};

// ---- selection -----------------------------------------------------------------

/**
 * Known-answer self-test: RFC 7748 §6.1 (Alice's key pair and the shared secret
 * with Bob) and RFC 8032 §7.1 TEST 2. A runtime whose WebCrypto lacks the
 * algorithms, or gets them wrong, falls back to @noble.
 */
async function webCryptoPassesSelfTest(): Promise<boolean> {
  try {
    const b = webCryptoBackend;
    const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPublic = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
    const message = Uint8Array.of(0x72);
    const [alicePublic, shared, edPublic, signature] = await Promise.all([
      b.x25519PublicKey(alice),
      b.x25519(alice, bobPublic),
      b.ed25519PublicKey(seed),
      b.ed25519Sign(seed, message),
    ]);
    const ephemeral = await b.x25519Ephemeral();
    await ephemeral.agree(bobPublic);
    return (
      equalBytes(alicePublic, fromHex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')) &&
      equalBytes(shared, fromHex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')) &&
      equalBytes(edPublic, fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')) &&
      equalBytes(
        signature,
        fromHex(
          '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
        ),
      ) &&
      (await b.ed25519Verify(edPublic, message, signature)) &&
      !(await b.ed25519Verify(edPublic, Uint8Array.of(0x73), signature))
    );
  } catch {
    // Any failure (no such algorithm, no crypto.subtle, unsupported key format) means: use @noble.
    return false;
  }
}

let detected: Promise<boolean> | undefined;

/** Whether this runtime's WebCrypto has working X25519 and Ed25519 (tested once, then remembered). */
export function hasNativeCurves(): Promise<boolean> {
  detected ??= webCryptoPassesSelfTest();
  return detected;
}

export type BackendPreference = BackendName | 'auto';

/**
 * The backend to use: `auto` (the default) takes WebCrypto when the runtime has
 * it and @noble otherwise; naming one forces it (an error if WebCrypto cannot).
 */
export async function getBackend(preference: BackendPreference = 'auto'): Promise<CurveBackend> {
  if (preference === 'noble') return nobleBackend;
  const native = await hasNativeCurves();
  if (native) return webCryptoBackend;
  if (preference === 'webcrypto') {
    throw new CryptoError(
      'CRYPTO_BACKEND_UNAVAILABLE',
      'This runtime has no working WebCrypto X25519/Ed25519; use the noble backend',
    );
  }
  return nobleBackend;
}
