import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE, createVerifier, type Verifier } from '@im/auth-client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'im-platform';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface TokenIssuer {
  /** Verifies what `token()` signs, from a local JWKS (what the service gets from the auth service). */
  readonly verifier: Verifier;
  /** A valid access token for the user's device (session). */
  token(userId: string, deviceId?: string): Promise<string>;
  /** Signed by a key the verifier does not know. */
  foreignToken(userId: string): Promise<string>;
}

/** Signs access tokens the way the auth service does (ES256, typ at+jwt), with a key made for the test. */
export async function createTokenIssuer(): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { extractable: true });
  const foreign = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
  const sign = (key: SigningKey, kid: string, userId: string, deviceId: string) =>
    new SignJWT({ sid: deviceId })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid })
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);
  return {
    verifier: createVerifier({ jwks: { keys: [jwk] }, issuer: ISSUER, audience: AUDIENCE }),
    token: (userId, deviceId = randomUUID()) => sign(privateKey, 'test-key', userId, deviceId),
    foreignToken: (userId) => sign(foreign.privateKey, 'test-key', userId, randomUUID()),
  };
}
