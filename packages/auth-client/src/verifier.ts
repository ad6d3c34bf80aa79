import { AppError } from '@im/contracts';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_TYPE,
  AccessTokenClaims,
  type VerifiedAccessToken,
} from './claims.js';
import type { RevocationList } from './revocation-list.js';

/** Where the public keys come from. */
export type KeySource =
  /** The auth service's `/.well-known/jwks.json`: fetched on first use and cached (jose `createRemoteJWKSet`). */
  | { jwksUrl: string | URL; jwks?: never }
  /**
   * A key set held in memory, or a function returning the current one (the auth
   * service verifies its own tokens this way). Return the same object while the
   * keys are unchanged: it is imported once per object.
   */
  | { jwks: JSONWebKeySet | (() => JSONWebKeySet | Promise<JSONWebKeySet>); jwksUrl?: never };

export type VerifierOptions = KeySource & {
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud`. */
  audience: string;
  /** Refuses tokens of sessions revoked here (feed it `session.revoked.v1`). */
  revocations?: RevocationList;
  /** Allowed clock difference with the auth service, seconds (default 5). */
  clockToleranceSec?: number;
  /** Remote JWKS: how long a fetched key set is used before refetching, ms (default 10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Remote JWKS: least time between two fetches triggered by an unknown `kid`, ms (default 30 s). */
  jwksCooldownMs?: number;
  /** Remote JWKS: fetch timeout, ms (default 5 s). */
  jwksTimeoutMs?: number;
  /** Clock; default the system clock. */
  now?: () => Date;
};

export interface Verifier {
  /**
   * Verifies an access token (the compact JWT, without `Bearer `). Resolves with
   * its identity or rejects with an AppError: AUTH_TOKEN_INVALID (bad signature,
   * algorithm, type, issuer, audience or claims), AUTH_TOKEN_EXPIRED,
   * AUTH_SESSION_REVOKED (its session is on the revocation list), or
   * UNAVAILABLE when the key set cannot be fetched (not the token's fault).
   */
  verify(token: string): Promise<VerifiedAccessToken>;
}

/** Compact JWS: three base64url parts. Anything else is refused before jose sees it. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 4096;

export function createVerifier(options: VerifierOptions): Verifier {
  const getKey = keyResolver(options);
  const clockTolerance = options.clockToleranceSec ?? 5;
  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
        throw new AppError('AUTH_TOKEN_INVALID', 'The access token is not a compact JWS');
      }
      let payload: unknown;
      try {
        const result = await jwtVerify(token, getKey, {
          algorithms: [ACCESS_TOKEN_ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          typ: ACCESS_TOKEN_TYPE,
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
          clockTolerance,
          ...(options.now ? { currentDate: options.now() } : {}),
        });
        payload = result.payload;
      } catch (error) {
        throw translate(error);
      }
      const claims = AccessTokenClaims.safeParse(payload);
      if (!claims.success) throw new AppError('AUTH_TOKEN_INVALID', 'The access token has malformed claims');
      if (options.revocations?.isRevoked(claims.data.sid)) throw new AppError('AUTH_SESSION_REVOKED');
      return {
        userId: claims.data.sub,
        sessionId: claims.data.sid,
        jti: claims.data.jti,
        exp: claims.data.exp,
        iat: claims.data.iat,
      };
    },
  };
}

function keyResolver(options: VerifierOptions): JWTVerifyGetKey {
  if (options.jwksUrl !== undefined) {
    return createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 10 * 60_000,
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
      timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    });
  }
  const source = options.jwks;
  if (typeof source !== 'function') return createLocalJWKSet(source);
  let current: { jwks: JSONWebKeySet; getKey: JWTVerifyGetKey } | undefined;
  return async (header, token) => {
    const jwks = await source();
    if (current?.jwks !== jwks) current = { jwks, getKey: createLocalJWKSet(jwks) };
    return current.getKey(header, token);
  };
}

function translate(error: unknown): AppError {
  if (error instanceof errors.JWTExpired) return new AppError('AUTH_TOKEN_EXPIRED');
  if (isKeySetUnavailable(error)) {
    return new AppError('UNAVAILABLE', 'The signing keys could not be fetched; retry later');
  }
  return new AppError('AUTH_TOKEN_INVALID');
}

/** A failure to get the key set (network, timeout, non-200), as opposed to a bad token. */
function isKeySetUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  // jose raises its base class only for a failed or unparsable JWKS response.
  if (error instanceof errors.JOSEError) return error.constructor === errors.JOSEError;
  return true;
}
