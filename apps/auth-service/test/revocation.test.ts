import { createVerifier, loadRevocations, RevocationList } from '@im/auth-client';
import { AppError, type QueueSpec } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AuthTestEnvironment,
  authTestEnvironment,
  bearer,
  login,
  PASSWORD,
  register,
  signUp,
  TEST_SETTINGS,
  type TestApp,
} from './harness.js';

/**
 * What another service (a gateway) does: verify tokens locally from the JWKS
 * and keep a revocation list fed by session.revoked.v1 from RabbitMQ. A
 * revoked session's token must be refused as soon as the event arrives, long
 * before it expires.
 */
describe('revocation reaches other services through the broker', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  const revocations = new RevocationList({ retentionMs: TEST_SETTINGS.accessTokenTtlMs + 60_000 });
  let verifier: ReturnType<typeof createVerifier>;
  let cancel: () => Promise<void>;

  beforeAll(async () => {
    env = await authTestEnvironment('revocation');
    ({ app } = await env.startApp());
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    verifier = createVerifier({
      jwksUrl: `${address}/.well-known/jwks.json`,
      issuer: TEST_SETTINGS.issuer,
      audience: TEST_SETTINGS.audience,
      revocations,
    });
    // A queue of "another service", bound like a gateway's to session.revoked.v1.
    const queue: QueueSpec = {
      name: 'other-service',
      description: 'A verifying service',
      bindings: [{ exchange: 'events', keys: ['session.revoked.v1'] }],
      durable: false,
      maxAttempts: 1,
      prefetch: 50,
    };
    const subscription = await env.broker.consume(queue, {
      'session.revoked.v1': async (event) => revocations.apply(event),
    });
    cancel = () => subscription.cancel();
  });
  afterAll(async () => {
    await cancel?.();
    await env?.close();
  });

  const verdict = async (token: string) => {
    try {
      await verifier.verify(token);
      return 'accepted';
    } catch (error) {
      return error instanceof AppError ? error.code : String(error);
    }
  };

  it('refuses the token of a logged-out session as soon as the event arrives', async () => {
    const { tokens } = await signUp(app);
    expect(await verdict(tokens.accessToken)).toBe('accepted');
    const logout = await app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(tokens.accessToken),
    });
    expect(logout.statusCode).toBe(204);
    await vi.waitFor(async () => expect(await verdict(tokens.accessToken)).toBe('AUTH_SESSION_REVOKED'), {
      timeout: 10_000,
      interval: 20,
    });
  });

  it('refuses the tokens of a session deleted from another device, and after refresh-token reuse', async () => {
    const user = await register(app);
    const laptop = await login(app, user.username, PASSWORD, 'laptop');
    const phone = await login(app, user.username, PASSWORD, 'phone');
    const tablet = await login(app, user.username, PASSWORD, 'tablet');
    for (const t of [laptop, phone, tablet]) expect(await verdict(t.accessToken)).toBe('accepted');

    await app.inject({
      method: 'DELETE',
      url: `/v1/auth/sessions/${laptop.sessionId}`,
      headers: bearer(phone.accessToken),
    });
    const refresh = (refreshToken: string) =>
      app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
    await refresh(tablet.refreshToken);
    expect((await refresh(tablet.refreshToken)).statusCode).toBe(401);

    await vi.waitFor(
      async () => {
        expect(await verdict(laptop.accessToken)).toBe('AUTH_SESSION_REVOKED');
        expect(await verdict(tablet.accessToken)).toBe('AUTH_SESSION_REVOKED');
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(await verdict(phone.accessToken)).toBe('accepted');
  });
});

/** A service that starts after a revocation learns it from the auth service, not from the event it missed. */
describe('GET /internal/v1/revocations (a verifier that starts)', () => {
  let env: AuthTestEnvironment;
  let app: TestApp['app'];
  let components: TestApp['components'];
  let base: string;
  beforeAll(async () => {
    env = await authTestEnvironment('revocations-load');
    ({ app, components } = await env.startApp());
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => env?.close());

  it('needs the internal token', async () => {
    const missing = await app.inject({ url: '/internal/v1/revocations' });
    expect(missing.statusCode).toBe(401);
    const wrong = await app.inject({
      url: '/internal/v1/revocations',
      headers: { 'x-internal-token': 'not-the-internal-token' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('AUTH_FORBIDDEN');
  });

  it('seeds a fresh revocation list with every session revoked within a token lifetime', async () => {
    const user = await register(app);
    const keep = await login(app, user.username, PASSWORD, 'keep');
    const others = [];
    for (const device of ['a', 'b', 'c']) others.push(await login(app, user.username, PASSWORD, device));
    // One password change revokes three sessions in the same millisecond.
    const change = await app.inject({
      method: 'POST',
      url: '/v1/auth/password',
      headers: bearer(keep.accessToken),
      payload: { currentPassword: PASSWORD, newPassword: 'another good password' },
    });
    expect(change.statusCode).toBe(204);

    const list = new RevocationList({ retentionMs: TEST_SETTINGS.accessTokenTtlMs + 60_000 });
    const loaded = await loadRevocations(list, {
      authUrl: base,
      internalToken: TEST_SETTINGS.internalToken!,
    });
    expect(loaded).toBe(3);
    const verifier = createVerifier({
      jwksUrl: `${base}/.well-known/jwks.json`,
      issuer: TEST_SETTINGS.issuer,
      audience: TEST_SETTINGS.audience,
      revocations: list,
    });
    for (const other of others) {
      await expect(verifier.verify(other.accessToken)).rejects.toMatchObject({
        code: 'AUTH_SESSION_REVOKED',
      });
    }
    await expect(verifier.verify(keep.accessToken)).resolves.toBeDefined();
  });

  it('pages by (revokedAt, sessionId) without skipping revocations of the same millisecond', async () => {
    const all = (await components.auth.recentRevocations({}, 1_000)).revocations;
    expect(all.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let page = await components.auth.recentRevocations({}, 2);
    seen.push(...page.revocations.map((r) => r.sessionId));
    while (page.hasMore) {
      const last = page.revocations.at(-1)!;
      page = await components.auth.recentRevocations(
        { since: new Date(last.revokedAt), afterId: last.sessionId },
        2,
      );
      seen.push(...page.revocations.map((r) => r.sessionId));
    }
    expect(seen).toEqual(all.map((r) => r.sessionId));
  });
});
