import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_ALGORITHM } from '@im/auth-client';
import { type Jwks, PublicJwk } from '@im/contracts';
import type { Logger } from '@im/logger';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
} from 'jose';
import type { SigningKeyRecord, SigningKeyRepository } from '../repositories/signing-keys.js';
import type { Clock } from './clock.js';
import type { SealingKey } from './sealing.js';

/**
 * Activation time of a first key: it has no predecessor to overlap with, so it
 * is active on every clock, including one of a copy that runs behind.
 */
const ALWAYS = new Date(0);

export interface SigningKeyRingOptions {
  repository: SigningKeyRepository;
  sealingKey: SealingKey;
  clock: Clock;
  logger: Logger;
  /** Longest access-token lifetime, ms: a retired key stays in the JWKS this long (plus the skew). */
  accessTokenTtlMs: number;
  /** How often the key list is re-read, so a rotation done elsewhere reaches this copy. */
  refreshIntervalMs: number;
  /** Added to lifetimes to absorb clock differences between services. */
  clockSkewMs?: number;
}

export interface ActiveSigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/** Which of the stored keys signs, which are published, and which can go. */
export interface KeyPlan {
  /** Signs now: the newest key whose activation has passed. */
  current: SigningKeyRecord | undefined;
  /** Published in the JWKS: keys not yet active (so verifiers know them before they sign), the current one, and retired ones whose tokens may still be alive. */
  published: SigningKeyRecord[];
  /** Retired so long ago that no token they signed is alive. */
  expired: SigningKeyRecord[];
}

/**
 * Plans keys by time. A key retires when the next key activates; tokens it
 * signed live at most one access-token lifetime after that.
 */
export function planKeys(keys: readonly SigningKeyRecord[], now: Date, retentionMs: number): KeyPlan {
  const sorted = [...keys].sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
  let currentIndex = -1;
  sorted.forEach((key, index) => {
    if (key.activatesAt.getTime() <= now.getTime()) currentIndex = index;
  });
  const published: SigningKeyRecord[] = [];
  const expired: SigningKeyRecord[] = [];
  sorted.forEach((key, index) => {
    if (index >= currentIndex) {
      published.push(key);
      return;
    }
    const retiredAt = sorted[index + 1]!.activatesAt.getTime();
    (retiredAt + retentionMs > now.getTime() ? published : expired).push(key);
  });
  return { current: sorted[currentIndex], published, expired };
}

interface LoadedKeys {
  at: number;
  plan: KeyPlan;
  jwks: Jwks;
  active: ActiveSigningKey | undefined;
  /** When the next published-but-inactive key activates (Infinity: none). */
  nextActivationAt: number;
}

/**
 * The JWT signing keys, shared through the database by every copy of the
 * service. Private keys are stored sealed (AES-256-GCM under a key from the
 * environment) and opened only in memory. Each copy re-reads the list every
 * `refreshIntervalMs`; a rotation therefore publishes the new key first and
 * activates it later (`activationDelayMs`), so every JWKS lists it before any
 * copy signs with it.
 */
export class SigningKeyRing {
  readonly #options: SigningKeyRingOptions;
  readonly #retentionMs: number;
  #loaded: LoadedKeys | undefined;
  #loading: Promise<void> | undefined;

  constructor(options: SigningKeyRingOptions) {
    this.#options = options;
    this.#retentionMs = options.accessTokenTtlMs + (options.clockSkewMs ?? 60_000);
  }

  /** Creates the first key if there is none (safe when N copies start at once), then loads. */
  async initialize(): Promise<void> {
    const created = await this.#options.repository.addIfNone(await this.#newKey(ALWAYS));
    if (created) this.#options.logger.info('created the first signing key');
    await this.reload();
  }

  /** The key to sign with now. */
  async current(): Promise<ActiveSigningKey> {
    const loaded = await this.#fresh();
    if (!loaded.active) throw new Error('no active signing key: run the service once or keys:rotate');
    return loaded.active;
  }

  /** The public keys to serve at /.well-known/jwks.json. The same object until the keys change. */
  async jwks(): Promise<Jwks> {
    return (await this.#fresh()).jwks;
  }

  /**
   * Adds a new key that activates after `activationDelayMs` (default two
   * refresh intervals, so every copy has re-read the list and published it by
   * then), and deletes keys no live token can name. Returns the new kid.
   */
  async rotate(
    activationDelayMs = 2 * this.#options.refreshIntervalMs,
  ): Promise<{ kid: string; activatesAt: Date; deleted: string[] }> {
    const now = this.#options.clock();
    // With no key at all there is nothing to overlap with: the first one signs at once (on every clock).
    const first = (await this.#options.repository.list()).length === 0;
    const activatesAt = first ? ALWAYS : new Date(now.getTime() + activationDelayMs);
    const key = await this.#newKey(activatesAt);
    await this.#options.repository.add(key);
    const { expired } = planKeys(await this.#options.repository.list(), now, this.#retentionMs);
    const deleted = expired.map((k) => k.kid);
    if (deleted.length > 0) await this.#options.repository.delete(deleted);
    this.#options.logger.info({ kid: key.kid, activatesAt, deleted }, 'signing key rotated');
    await this.reload();
    return { kid: key.kid, activatesAt, deleted };
  }

  /** Re-reads the keys now. */
  async reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    await this.#loading;
  }

  async #fresh(): Promise<LoadedKeys> {
    const now = this.#options.clock().getTime();
    const loaded = this.#loaded;
    // Re-read when the list is old, or when a key published earlier is due to activate.
    if (!loaded || now - loaded.at >= this.#options.refreshIntervalMs || now >= loaded.nextActivationAt) {
      try {
        await this.reload();
      } catch (error) {
        // A database blip must not stop signing: the keys already loaded stay valid for a while.
        if (!loaded) throw error;
        this.#options.logger.warn({ err: error }, 'could not re-read signing keys; using the loaded ones');
      }
    }
    return this.#loaded!;
  }

  async #load(): Promise<void> {
    const now = this.#options.clock();
    const keys = await this.#options.repository.list();
    const plan = planKeys(keys, now, this.#retentionMs);
    const previous = this.#loaded;
    const jwksUnchanged =
      previous !== undefined &&
      previous.plan.published.map((k) => k.kid).join() === plan.published.map((k) => k.kid).join();
    const active =
      plan.current === undefined
        ? undefined
        : previous?.active?.kid === plan.current.kid
          ? previous.active
          : { kid: plan.current.kid, privateKey: await this.#open(plan.current) };
    this.#loaded = {
      at: now.getTime(),
      plan,
      jwks: jwksUnchanged ? previous.jwks : { keys: plan.published.map((k) => PublicJwk.parse(k.publicJwk)) },
      active,
      nextActivationAt: Math.min(
        Number.POSITIVE_INFINITY,
        ...keys.map((k) => k.activatesAt.getTime()).filter((t) => t > now.getTime()),
      ),
    };
  }

  async #open(key: SigningKeyRecord): Promise<CryptoKey> {
    const { sealingKey } = this.#options;
    if (key.encryptionKeyId !== sealingKey.id) {
      throw new Error(
        `signing key ${key.kid} was sealed with sealing key ${key.encryptionKeyId}, but SIGNING_KEY_ENCRYPTION_KEY is ${sealingKey.id}`,
      );
    }
    const pem = sealingKey.open(key.privateKeySealed, key.kid).toString('utf8');
    return importPKCS8(pem, key.alg);
  }

  async #newKey(activatesAt: Date): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { extractable: true });
    const jwk = await exportJWK(publicKey);
    const thumbprint = await calculateJwkThumbprint(jwk);
    // The thumbprint names the key material; the suffix keeps kids unique even if material repeated.
    const kid = `${thumbprint.slice(0, 32)}-${randomUUID().slice(0, 8)}`;
    const publicJwk = PublicJwk.parse({ ...jwk, kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' });
    const pem = await exportPKCS8(privateKey);
    return {
      kid,
      alg: ACCESS_TOKEN_ALGORITHM,
      publicJwk,
      privateKeySealed: this.#options.sealingKey.seal(Buffer.from(pem, 'utf8'), kid),
      encryptionKeyId: this.#options.sealingKey.id,
      createdAt: this.#options.clock(),
      activatesAt,
    };
  }
}
