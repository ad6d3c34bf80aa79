import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { AppError } from '@im/contracts';
import { base64url, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TYPE } from './claims.js';
import { RevocationList } from './revocation-list.js';
import { createVerifier } from './verifier.js';

const issuer = 'https://auth.test';
const audience = 'im-test';

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}
type Key = Awaited<ReturnType<typeof signingKey>>;

function token(
  key: Key,
  overrides: { aud?: string; iss?: string; exp?: number; iat?: number; sid?: string; typ?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: overrides.sid ?? randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: overrides.typ ?? ACCESS_TOKEN_TYPE })
    .setIssuer(overrides.iss ?? issuer)
    .setAudience(overrides.aud ?? audience)
    .setSubject(randomUUID())
    .setJti(randomUUID())
    .setIssuedAt(overrides.iat ?? now)
    .setExpirationTime(overrides.exp ?? now + 900)
    .sign(key.privateKey);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
}

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

describe('createVerifier with a key set in memory', () => {
  let key: Key;
  beforeAll(async () => {
    key = await signingKey('k1');
  });
  const verifier = () => createVerifier({ jwks: { keys: [key.jwk] }, issuer, audience });

  it('accepts a valid token and returns its identity', async () => {
    const sid = randomUUID();
    const verified = await verifier().verify(await token(key, { sid }));
    expect(verified.sessionId).toBe(sid);
    expect(verified.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(verified.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it('refuses alg none, with or without a signature part', async () => {
    const good = await token(key);
    const [, payload] = good.split('.');
    const header = encode({ alg: 'none', typ: ACCESS_TOKEN_TYPE, kid: key.kid });
    expect(await codeOf(verifier().verify(`${header}.${payload}.`))).toBe('AUTH_TOKEN_INVALID');
    expect(await codeOf(verifier().verify(`${header}.${payload}.AAAA`))).toBe('AUTH_TOKEN_INVALID');
  });

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const secret of [
      new TextEncoder().encode(await exportSPKI(key.publicKey)),
      new TextEncoder().encode(JSON.stringify(key.jwk)),
    ]) {
      const forged = await new SignJWT({ sid: randomUUID() })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(randomUUID())
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + 900)
        .sign(secret);
      expect(await codeOf(verifier().verify(forged))).toBe('AUTH_TOKEN_INVALID');
    }
  });

  it('answers an expired token with AUTH_TOKEN_EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await token(key, { iat: now - 1000, exp: now - 60 });
    expect(await codeOf(verifier().verify(expired))).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('refuses a wrong audience, a wrong issuer and a wrong token type', async () => {
    expect(await codeOf(verifier().verify(await token(key, { aud: 'other' })))).toBe('AUTH_TOKEN_INVALID');
    expect(await codeOf(verifier().verify(await token(key, { iss: 'https://evil' })))).toBe(
      'AUTH_TOKEN_INVALID',
    );
    expect(await codeOf(verifier().verify(await token(key, { typ: 'JWT' })))).toBe('AUTH_TOKEN_INVALID');
  });

  it('refuses a tampered payload and a signature by an unknown key', async () => {
    const good = await token(key);
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    const tampered = encode({ ...claims, sub: randomUUID() });
    expect(await codeOf(verifier().verify(`${header}.${tampered}.${signature}`))).toBe('AUTH_TOKEN_INVALID');

    const stranger = await signingKey('k1');
    expect(await codeOf(verifier().verify(await token(stranger)))).toBe('AUTH_TOKEN_INVALID');
  });

  it('refuses garbage without reaching jose', async () => {
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', 'a.b.c!', 'x'.repeat(5000)]) {
      expect(await codeOf(verifier().verify(bad))).toBe('AUTH_TOKEN_INVALID');
    }
  });

  it('refuses the token of a revoked session', async () => {
    const revocations = new RevocationList({ retentionMs: 60_000 });
    const v = createVerifier({ jwks: { keys: [key.jwk] }, issuer, audience, revocations });
    const sid = randomUUID();
    const t = await token(key, { sid });
    await expect(v.verify(t)).resolves.toMatchObject({ sessionId: sid });
    revocations.apply({ sessionId: sid, revokedAt: new Date().toISOString() });
    expect(await codeOf(v.verify(t))).toBe('AUTH_SESSION_REVOKED');
  });

  it('follows a key-set getter when it returns a new set', async () => {
    const second = await signingKey('k2');
    let jwks = { keys: [key.jwk] };
    const v = createVerifier({ jwks: () => jwks, issuer, audience });
    expect(await codeOf(v.verify(await token(second)))).toBe('AUTH_TOKEN_INVALID');
    jwks = { keys: [key.jwk, second.jwk] };
    await expect(v.verify(await token(second))).resolves.toBeDefined();
  });
});

describe('createVerifier with a remote JWKS', () => {
  let server: Server;
  let url: string;
  let keys: JWK[] = [];
  let fetches = 0;
  let status = 200;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches once, caches, and refetches for a new kid after the cooldown', async () => {
    const k1 = await signingKey('r1');
    const k2 = await signingKey('r2');
    keys = [k1.jwk];
    fetches = 0;
    const v = createVerifier({ jwksUrl: url, issuer, audience, jwksCooldownMs: 0 });
    for (let i = 0; i < 5; i += 1) await v.verify(await token(k1));
    expect(fetches).toBe(1);

    keys = [k1.jwk, k2.jwk];
    await expect(v.verify(await token(k2))).resolves.toBeDefined();
    expect(fetches).toBe(2);
  });

  it('answers UNAVAILABLE, not a token error, when the key set cannot be fetched', async () => {
    const k = await signingKey('r3');
    status = 500;
    const v = createVerifier({ jwksUrl: url, issuer, audience });
    expect(await codeOf(v.verify(await token(k)))).toBe('UNAVAILABLE');
    status = 200;

    const closedPort = createVerifier({ jwksUrl: 'http://127.0.0.1:9/jwks.json', issuer, audience });
    expect(await codeOf(closedPort.verify(await token(k)))).toBe('UNAVAILABLE');
  });
});
