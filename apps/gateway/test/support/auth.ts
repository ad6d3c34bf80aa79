import { randomUUID } from 'node:crypto';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_TYPE,
  createVerifier,
  RevocationList,
  type Verifier,
} from '@im/auth-client';
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';

export const TEST_ISSUER = 'im-auth-test';
export const TEST_AUDIENCE = 'im';

export interface TokenOptions {
  /** Lifetime from now, seconds (negative: already expired). Default 900. */
  expiresInSec?: number;
  issuer?: string;
  audience?: string;
}

export interface TestAuth {
  /** A real verifier over this issuer's key set, consulting `revocations`. */
  readonly verifier: Verifier;
  readonly revocations: RevocationList;
  readonly jwks: JSONWebKeySet;
  /** An access token the auth service would issue for this user and session (device). */
  token(userId: string, deviceId: string, options?: TokenOptions): Promise<string>;
  /** A well-formed token signed by a key nobody trusts. */
  foreignToken(userId: string, deviceId: string): Promise<string>;
}

/** A user with one device (session), as the auth service would create them. */
export function newUser(): { userId: string; deviceId: string } {
  return { userId: randomUUID(), deviceId: randomUUID() };
}

/**
 * Signs access tokens exactly as the auth service does (ES256, `at+jwt`, kid,
 * iss/aud/exp/iat/sub/sid/jti) with a key made for the test, and verifies them
 * with the real @im/auth-client verifier.
 */
export async function createTestAuth(): Promise<TestAuth> {
  const trusted = await signer('test-key');
  const foreign = await signer('test-key');
  const jwks: JSONWebKeySet = { keys: [trusted.jwk] };
  const revocations = new RevocationList({ retentionMs: 60 * 60_000 });
  const verifier = createVerifier({ jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, revocations });
  return {
    verifier,
    revocations,
    jwks,
    token: (userId, deviceId, options) => trusted.sign(userId, deviceId, options),
    foreignToken: (userId, deviceId) => foreign.sign(userId, deviceId),
  };
}

async function signer(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
  return {
    jwk,
    async sign(userId: string, deviceId: string, options: TokenOptions = {}): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = options.expiresInSec ?? 900;
      return new SignJWT({ sid: deviceId, jti: randomUUID() })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid })
        .setSubject(userId)
        .setIssuer(options.issuer ?? TEST_ISSUER)
        .setAudience(options.audience ?? TEST_AUDIENCE)
        .setIssuedAt(expiresIn > 0 ? now : now + expiresIn - 900)
        .setExpirationTime(now + expiresIn)
        .sign(privateKey);
    },
  };
}
