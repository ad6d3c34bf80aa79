import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYPE, createVerifier, type Verifier } from '@im/auth-client';
import { AppError, type TokenPair } from '@im/contracts';
import { base64url, decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  errorCode,
  signUp,
  TEST_SETTINGS,
  type TestApp,
  TestClock,
} from './harness.js';

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const decodePart = (part: string) => JSON.parse(new TextDecoder().decode(base64url.decode(part)));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
}

/**
 * Every forged or stale token is refused twice over: by the verifier other
 * services use (through the real JWKS endpoint) and by the auth service's own
 * bearer routes.
 */
describe('access-token attacks', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  let verifier: Verifier;
  let pair: TokenPair;
  let jwksUrl: string;
  beforeAll(async () => {
    env = await authTestEnvironment('attacks');
    ({ app } = await env.startApp());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    jwksUrl = `${address}/.well-known/jwks.json`;
    verifier = createVerifier({ jwksUrl, issuer: TEST_SETTINGS.issuer, audience: TEST_SETTINGS.audience });
    ({ tokens: pair } = await signUp(app));
  });
  afterAll(() => env?.close());

  /** Both verdicts: the shared verifier's code and the service's answer to GET /v1/users/me. */
  async function verdicts(token: string) {
    const response = await app.inject({ url: '/v1/users/me', headers: bearer(token) });
    return {
      verifier: await codeOf(verifier.verify(token)),
      service: errorCode(response) ?? response.statusCode,
    };
  }

  it('accepts the genuine token (the control for every case below)', async () => {
    await expect(verifier.verify(pair.accessToken)).resolves.toMatchObject({ sessionId: pair.sessionId });
    expect((await app.inject({ url: '/v1/users/me', headers: bearer(pair.accessToken) })).statusCode).toBe(
      200,
    );
  });

  it('refuses alg "none"', async () => {
    const [header, payload] = pair.accessToken.split('.') as [string, string];
    const none = encode({ ...decodePart(header), alg: 'none' });
    for (const token of [`${none}.${payload}.`, `${none}.${payload}.c2lnbmF0dXJl`]) {
      expect(await verdicts(token)).toEqual({
        verifier: 'AUTH_TOKEN_INVALID',
        service: 'AUTH_TOKEN_INVALID',
      });
    }
  });

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const jwks = (await (await fetch(jwksUrl)).json()) as { keys: Array<{ kid: string }> };
    const publicJwk = jwks.keys[0]!;
    const claims = decodeJwt(pair.accessToken);
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid, typ: ACCESS_TOKEN_TYPE })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect(await verdicts(forged)).toEqual({ verifier: 'AUTH_TOKEN_INVALID', service: 'AUTH_TOKEN_INVALID' });
  });

  it('refuses an expired token with AUTH_TOKEN_EXPIRED', async () => {
    // A copy of the service whose clock is an hour behind issues a token that expired 45 minutes ago.
    const clock = new TestClock();
    clock.advance(-60 * 60_000);
    const { app: past } = await env.startApp({ clock: clock.now });
    const { tokens } = await signUp(past);
    expect(decodeJwt(tokens.accessToken).exp! * 1000).toBeLessThan(Date.now());
    expect(await verdicts(tokens.accessToken)).toEqual({
      verifier: 'AUTH_TOKEN_EXPIRED',
      service: 'AUTH_TOKEN_EXPIRED',
    });
  });

  it('refuses a token for another audience (and one from another issuer)', async () => {
    const { app: other } = await env.startApp({ settings: { audience: 'some-other-api' } });
    const { tokens } = await signUp(other);
    expect(decodeJwt(tokens.accessToken).aud).toBe('some-other-api');
    expect(await verdicts(tokens.accessToken)).toEqual({
      verifier: 'AUTH_TOKEN_INVALID',
      service: 'AUTH_TOKEN_INVALID',
    });

    const { app: foreign } = await env.startApp({ settings: { issuer: 'https://evil.test' } });
    const { tokens: foreignTokens } = await signUp(foreign);
    expect(await verdicts(foreignTokens.accessToken)).toEqual({
      verifier: 'AUTH_TOKEN_INVALID',
      service: 'AUTH_TOKEN_INVALID',
    });
  });

  it('refuses a tampered payload (another user, another session, a later expiry)', async () => {
    const { user: victim } = await signUp(app);
    const [header, payload, signature] = pair.accessToken.split('.') as [string, string, string];
    const claims = decodePart(payload);
    for (const change of [{ sub: victim.id }, { sid: randomUUID() }, { exp: claims.exp + 86_400 }]) {
      const tampered = `${header}.${encode({ ...claims, ...change })}.${signature}`;
      expect(await verdicts(tampered)).toEqual({
        verifier: 'AUTH_TOKEN_INVALID',
        service: 'AUTH_TOKEN_INVALID',
      });
    }
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    const { generateKeyPair } = await import('jose');
    const { privateKey } = await generateKeyPair('ES256');
    const claims = decodeJwt(pair.accessToken);
    const [header] = pair.accessToken.split('.') as [string];
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ ...decodePart(header) })
      .sign(privateKey);
    expect(await verdicts(forged)).toEqual({ verifier: 'AUTH_TOKEN_INVALID', service: 'AUTH_TOKEN_INVALID' });
  });

  it('refuses a malformed Authorization header', async () => {
    for (const authorization of [
      'Basic dXNlcjpwYXNz',
      `Bearer`,
      `Bearer ${pair.accessToken} extra`,
      'garbage',
    ]) {
      const response = await app.inject({ url: '/v1/users/me', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
      expect(errorCode(response)).toBe('AUTH_TOKEN_INVALID');
    }
  });
});
