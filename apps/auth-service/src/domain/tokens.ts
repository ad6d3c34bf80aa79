import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE } from '@im/auth-client';
import { SignJWT } from 'jose';
import { type Clock, toSeconds } from './clock.js';
import type { SigningKeyRing } from './signing-keys.js';

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
}

/** Signs access tokens (RFC 9068 shape): ES256, `kid`, `typ: at+jwt`, iss/aud/sub/sid/jti/iat/exp. */
export class AccessTokenIssuer {
  constructor(
    private readonly keys: SigningKeyRing,
    private readonly settings: AccessTokenSettings,
    private readonly clock: Clock,
  ) {}

  async issue(subject: { userId: string; sessionId: string }): Promise<IssuedAccessToken> {
    const key = await this.keys.current();
    const iat = toSeconds(this.clock());
    const jti = randomUUID();
    const token = await new SignJWT({ sid: subject.sessionId })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(subject.userId)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.settings.ttlSeconds)
      .sign(key.privateKey);
    return { token, jti, expiresIn: this.settings.ttlSeconds };
  }
}

/** A new opaque refresh token: 256 random bits. Only its hash is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/**
 * SHA-256 is enough here (no salt, no stretching): the input has 256 bits of
 * entropy, so there is nothing to guess, and a fast hash keeps lookups by an
 * index possible.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
