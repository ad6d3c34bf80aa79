import { Id } from '@im/contracts';
import { z } from 'zod';

/**
 * The access-token contract shared by the auth service (which signs) and every
 * service that verifies. Changing any of these is a breaking change for every
 * verifier: add the new value beside the old one and move verifiers first.
 */

/** The only signature algorithm the auth service uses and verifiers accept. */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';
export type AccessTokenAlgorithm = typeof ACCESS_TOKEN_ALGORITHM;

/** JOSE `typ` header of access tokens (RFC 9068), so no other JWT of ours passes as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** The claims of an access token beyond the registered `iss`/`aud`/`exp`/`iat` checked by jose. */
export const AccessTokenClaims = z.object({
  /** The user id. */
  sub: Id,
  /** The session (device) id: one per login, ended by logout, deletion or refresh-token reuse. */
  sid: Id,
  /** A unique id of this token. */
  jti: Id,
  exp: z.number().int().positive(),
  iat: z.number().int().positive(),
});
export type AccessTokenClaims = z.infer<typeof AccessTokenClaims>;

/** What a successful verification yields. */
export interface VerifiedAccessToken {
  userId: string;
  sessionId: string;
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issue time, seconds since the epoch. */
  iat: number;
}
