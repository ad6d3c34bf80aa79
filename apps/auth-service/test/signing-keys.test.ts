import { randomBytes } from 'node:crypto';
import { createVerifier } from '@im/auth-client';
import { startProcess, tsxCommand } from '@im/testkit';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealingKey } from '../src/domain/sealing.js';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  signUp,
  TEST_SETTINGS,
  TestClock,
} from './harness.js';

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

describe('signing keys', () => {
  let env: AuthTestEnvironment;
  let db: pg.Client;
  beforeAll(async () => {
    env = await authTestEnvironment('signing-keys');
    db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await env?.close();
  });

  const jwksOf = async (app: Awaited<ReturnType<typeof env.startApp>>['app']) =>
    (await app.inject({ url: '/.well-known/jwks.json' })).json().keys as Array<Record<string, string>>;

  it('creates one key on first start, stores its private half sealed, and publishes only the public half', async () => {
    const { app } = await env.startApp();
    const keys = await jwksOf(app);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
      kid: expect.any(String),
      alg: 'ES256',
      use: 'sig',
    });
    const response = await app.inject({ url: '/.well-known/jwks.json' });
    expect(response.headers['cache-control']).toMatch(/^public, max-age=\d+$/);

    const { rows } = await db.query('SELECT kid, private_key_sealed, public_jwk FROM signing_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0].private_key_sealed).not.toMatch(/PRIVATE KEY|MIG/);
    expect(rows[0].public_jwk.d).toBeUndefined();
    expect(Buffer.from(rows[0].private_key_sealed, 'base64url').toString('latin1')).not.toContain(
      'PRIVATE KEY',
    );
  });

  it('survives a restart: a new copy on the same database signs with the same key and accepts old tokens', async () => {
    const first = await env.startApp();
    const { tokens } = await signUp(first.app);
    await first.app.close();
    const second = await env.startApp();
    expect(
      (await second.app.inject({ url: '/v1/users/me', headers: bearer(tokens.accessToken) })).statusCode,
    ).toBe(200);
    const { tokens: fresh } = await signUp(second.app);
    expect(kidOf(fresh.accessToken)).toBe(kidOf(tokens.accessToken));
  });

  it('refuses to start with another sealing key, naming the variable', async () => {
    await expect(env.startApp({ sealingKey: new SealingKey(randomBytes(32)) })).rejects.toThrow(
      /SIGNING_KEY_ENCRYPTION_KEY/,
    );
  });

  it('keys:rotate (the command) adds a key that running copies pick up', async () => {
    const { app, components } = await env.startApp();
    const { command, args } = tsxCommand(
      new URL('../src/cli/rotate-keys.ts', import.meta.url).pathname,
      '--activate-in=0s',
    );
    const proc = await startProcess({
      name: 'keys:rotate',
      command,
      args,
      env: {
        DATABASE_URL: env.databaseUrl,
        SIGNING_KEY_ENCRYPTION_KEY: env.sealingKeyBase64,
        LOG_LEVEL: 'warn',
      },
    });
    expect(await proc.exited, proc.output()).toBe(0);
    const { kid } = JSON.parse(proc.output().trim().split('\n').at(-1)!);
    await components.signingKeys.reload();
    const { tokens } = await signUp(app);
    expect(kidOf(tokens.accessToken)).toBe(kid);
  });
});

describe('key rotation', () => {
  let env: AuthTestEnvironment;
  beforeAll(async () => {
    env = await authTestEnvironment('key-rotation');
  });
  afterAll(() => env?.close());

  const jwksOf = async (app: Awaited<ReturnType<typeof env.startApp>>['app']) =>
    (await app.inject({ url: '/.well-known/jwks.json' })).json().keys as Array<Record<string, string>>;

  it('rotates: the new key is published first, signs after its activation, and the old one stays until its tokens expired', async () => {
    const clock = new TestClock();
    const { app, components } = await env.startApp({ clock: clock.now });
    const other = await env.startApp({ clock: clock.now });
    const { tokens: before } = await signUp(app);
    const oldKid = kidOf(before.accessToken);

    const delay = 2 * TEST_SETTINGS.signingKeyRefreshMs;
    const { kid: newKid } = await components.signingKeys.rotate(delay);
    expect((await jwksOf(app)).map((k) => k.kid)).toEqual([oldKid, newKid]);
    const { tokens: pending } = await signUp(app);
    expect(kidOf(pending.accessToken)).toBe(oldKid);

    // Within one refresh interval every other copy publishes the new key too, before it signs anywhere.
    clock.advance(TEST_SETTINGS.signingKeyRefreshMs);
    expect((await jwksOf(other.app)).map((k) => k.kid)).toContain(newKid);

    clock.advance(delay);
    const { tokens: after } = await signUp(app);
    expect(kidOf(after.accessToken)).toBe(newKid);
    const { tokens: afterOther } = await signUp(other.app);
    expect(kidOf(afterOther.accessToken)).toBe(newKid);

    // Old tokens still verify, for other services too, while the old key is published.
    const verifier = createVerifier({
      jwks: { keys: await jwksOf(app) },
      issuer: TEST_SETTINGS.issuer,
      audience: TEST_SETTINGS.audience,
      now: clock.now,
    });
    await expect(verifier.verify(before.accessToken)).resolves.toBeDefined();
    await expect(verifier.verify(after.accessToken)).resolves.toBeDefined();

    // Once every token of the old key has expired, the JWKS drops it, and the next rotation deletes it.
    clock.advance(TEST_SETTINGS.accessTokenTtlMs + 61_000 + TEST_SETTINGS.signingKeyRefreshMs);
    expect((await jwksOf(app)).map((k) => k.kid)).toEqual([newKid]);
    const { deleted } = await components.signingKeys.rotate(0);
    expect(deleted).toContain(oldKid);
  });
});

describe('first start of several copies at once', () => {
  let env: AuthTestEnvironment;
  beforeAll(async () => {
    env = await authTestEnvironment('keys-race');
  });
  afterAll(() => env?.close());

  it('creates exactly one signing key', async () => {
    const apps = await Promise.all([env.startApp(), env.startApp(), env.startApp()]);
    const kids = await Promise.all(
      apps.map(async ({ app }) => (await app.inject({ url: '/.well-known/jwks.json' })).json().keys[0].kid),
    );
    expect(new Set(kids).size).toBe(1);
    const db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    try {
      expect((await db.query('SELECT count(*)::int AS n FROM signing_keys')).rows[0].n).toBe(1);
    } finally {
      await db.end();
    }
  });
});
