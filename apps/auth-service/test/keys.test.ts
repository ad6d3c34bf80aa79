import { randomBytes } from 'node:crypto';
import type { KeyBackup } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  errorCode,
  signUp,
  type TestApp,
} from './harness.js';

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');

function bundle(userId: string, keyVersion: number) {
  const backup: KeyBackup = {
    v: 1,
    userId,
    kdf: { name: 'scrypt', N: 32768, r: 8, p: 1, salt: b64(16) },
    alg: 'AES-256-GCM',
    nonce: b64(12),
    ciphertext: b64(3 + 68 * keyVersion + 16),
  };
  return { keyVersion, x25519: b64(32), ed25519: b64(32), backup };
}

describe('public-key directory', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  beforeAll(async () => {
    env = await authTestEnvironment('keys');
    ({ app } = await env.startApp());
  });
  afterAll(() => env?.close());

  const put = (token: string, body: unknown) =>
    app.inject({ method: 'PUT', url: '/v1/keys', headers: bearer(token), payload: body as object });

  it('publishes version 1, serves it to others, keeps my backup, and publishes keys.changed.v1', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const v1 = bundle(alice.user.id, 1);
    const response = await put(alice.tokens.accessToken, v1);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ userId: alice.user.id, keyVersion: 1, x25519: v1.x25519 });

    const seen = await app.inject({
      url: `/v1/users/${alice.user.id}/keys`,
      headers: bearer(bob.tokens.accessToken),
    });
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toEqual({
      userId: alice.user.id,
      keyVersion: 1,
      x25519: v1.x25519,
      ed25519: v1.ed25519,
      createdAt: expect.any(String),
    });

    const backup = await app.inject({ url: '/v1/keys/backup', headers: bearer(alice.tokens.accessToken) });
    expect(backup.json()).toMatchObject({ keyVersion: 1, backup: v1.backup });
    // Someone else's backup is not reachable: /v1/keys/backup is always the caller's.
    const bobsBackup = await app.inject({ url: '/v1/keys/backup', headers: bearer(bob.tokens.accessToken) });
    expect(bobsBackup.statusCode).toBe(404);

    const event = await env.waitForEvent('keys.changed.v1', (d) => d.userId === alice.user.id);
    expect(event.data.keyVersion).toBe(1);
  });

  it('accepts only current + 1: 409 AUTH_KEYS_CONFLICT otherwise, and keeps old versions readable', async () => {
    const { user, tokens } = await signUp(app);
    expect((await put(tokens.accessToken, bundle(user.id, 2))).statusCode).toBe(409);
    expect((await put(tokens.accessToken, bundle(user.id, 1))).statusCode).toBe(200);
    const replay = await put(tokens.accessToken, bundle(user.id, 1));
    expect(replay.statusCode).toBe(409);
    expect(errorCode(replay)).toBe('AUTH_KEYS_CONFLICT');
    expect(replay.json().error.details).toEqual({ currentVersion: 1 });
    expect((await put(tokens.accessToken, bundle(user.id, 3))).statusCode).toBe(409);
    const v2 = bundle(user.id, 2);
    expect((await put(tokens.accessToken, v2)).statusCode).toBe(200);

    const current = await app.inject({
      url: `/v1/users/${user.id}/keys`,
      headers: bearer(tokens.accessToken),
    });
    expect(current.json()).toMatchObject({ keyVersion: 2, x25519: v2.x25519 });
    const old = await app.inject({
      url: `/v1/users/${user.id}/keys?version=1`,
      headers: bearer(tokens.accessToken),
    });
    expect(old.json().keyVersion).toBe(1);
    const future = await app.inject({
      url: `/v1/users/${user.id}/keys?version=9`,
      headers: bearer(tokens.accessToken),
    });
    expect(future.statusCode).toBe(404);
  });

  it('lets exactly one of two concurrent uploads of the same version win', async () => {
    const { user, tokens } = await signUp(app);
    const responses = await Promise.all([
      put(tokens.accessToken, bundle(user.id, 1)),
      put(tokens.accessToken, bundle(user.id, 1)),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 409]);
  });

  it('refuses a backup that names another user, and malformed keys', async () => {
    const { user, tokens } = await signUp(app);
    const other = await signUp(app);
    const foreign = await put(tokens.accessToken, bundle(other.user.id, 1));
    expect(foreign.statusCode).toBe(400);
    expect(errorCode(foreign)).toBe('VALIDATION_FAILED');

    const good = bundle(user.id, 1);
    for (const bad of [
      { ...good, x25519: b64(31) },
      { ...good, ed25519: `${b64(32).slice(0, 42)}+` },
      { ...good, keyVersion: 0 },
      { ...good, backup: { ...good.backup, ciphertext: b64(20_000) } },
      { ...good, backup: { ...good.backup, nonce: b64(24) } },
      { ...good, backup: 'not an object' },
    ]) {
      const response = await put(tokens.accessToken, bad);
      expect(response.statusCode).toBe(400);
    }
    expect(
      (await app.inject({ url: `/v1/users/${user.id}/keys`, headers: bearer(tokens.accessToken) }))
        .statusCode,
    ).toBe(404);
  });

  it('PUT /v1/keys/backup replaces the backup of the current version only', async () => {
    const { user, tokens } = await signUp(app);
    const putBackup = (body: unknown) =>
      app.inject({
        method: 'PUT',
        url: '/v1/keys/backup',
        headers: bearer(tokens.accessToken),
        payload: body as object,
      });
    const first = bundle(user.id, 1);
    expect((await putBackup({ keyVersion: 1, backup: first.backup })).statusCode).toBe(409);
    await put(tokens.accessToken, first);
    const resealed = bundle(user.id, 1).backup;
    const response = await putBackup({ keyVersion: 1, backup: resealed });
    expect(response.statusCode).toBe(200);
    const stored = await app.inject({ url: '/v1/keys/backup', headers: bearer(tokens.accessToken) });
    expect(stored.json().backup).toEqual(resealed);
    expect((await putBackup({ keyVersion: 2, backup: resealed })).statusCode).toBe(409);
  });
});
