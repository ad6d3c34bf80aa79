import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestAuth,
  newUser,
  startTestGateway,
  type TestAuth,
  type TestGateway,
  TestSocket,
  testBrokers,
} from './support/index.js';

const brokers = testBrokers('gw-auth');
let auth: TestAuth;
let gateway: TestGateway;

beforeAll(async () => {
  auth = await createTestAuth();
  gateway = await startTestGateway({
    brokers,
    auth,
    allowedOrigins: ['https://chat.example.com'],
    limits: { authTimeoutMs: 300, heartbeatIntervalMs: 1_000 },
  });
});

afterAll(async () => {
  await gateway?.close();
  await brokers.closeAll();
});

describe('authentication', () => {
  it('accepts a token in the Authorization header: ready (identity, limits, no resync), then sync.done', async () => {
    const user = newUser();
    const socket = await TestSocket.open(gateway.url, {
      token: await auth.token(user.userId, user.deviceId),
    });
    const ready = await socket.waitFor('ready');
    expect(ready).toMatchObject({
      protocol: PROTOCOL_VERSION,
      userId: user.userId,
      deviceId: user.deviceId,
      heartbeatIntervalMs: 1_000,
      limits: { maxFrameBytes: 96 * 1024, maxEnvelopeBytes: 64 * 1024, framesPerSecond: 30 },
      resync: null,
    });
    await socket.waitFor('sync.done');
    expect(socket.frames.map((f) => f.type)).toEqual(['ready', 'sync.done']);
    await socket.close();
  });

  it('accepts a token in a first auth frame and echoes its ref on sync.done', async () => {
    const user = newUser();
    // The token first: signing it must not eat into the gateway's auth timeout on a loaded machine.
    const token = await auth.token(user.userId, user.deviceId);
    const socket = await TestSocket.open(gateway.url);
    socket.send({ type: 'auth', ref: 'login-1', token });
    expect(await socket.waitFor('ready')).toMatchObject({ userId: user.userId, deviceId: user.deviceId });
    expect(await socket.waitFor('sync.done')).toMatchObject({ ref: 'login-1', delivered: 0 });
    await socket.roundTrip('after-auth');
    await socket.close();
  });

  it('closes with 4408 when no auth frame comes in time', async () => {
    const socket = await TestSocket.open(gateway.url);
    expect(await socket.waitClosed()).toMatchObject({ code: 4408 });
    expect(socket.of('error')).toEqual([expect.objectContaining({ code: 'WS_AUTH_TIMEOUT' })]);
  });

  it('refuses any other first frame with AUTH_TOKEN_MISSING (4401)', async () => {
    const socket = await TestSocket.open(gateway.url);
    socket.send({ type: 'ping', ref: 'too-early' });
    expect(await socket.waitClosed()).toMatchObject({ code: 4401 });
    expect(socket.of('error')).toEqual([
      expect.objectContaining({ code: 'AUTH_TOKEN_MISSING', ref: 'too-early' }),
    ]);
  });

  it('never takes a token from the URL', async () => {
    const user = newUser();
    const token = await auth.token(user.userId, user.deviceId);
    const socket = await TestSocket.open(`${gateway.url}?token=${token}&access_token=${token}`);
    expect(await socket.waitClosed()).toMatchObject({ code: 4408 });
    expect(socket.of('ready')).toEqual([]);
  });

  it.each([
    ['garbage', async () => 'not-a-jwt', 'AUTH_TOKEN_INVALID'],
    [
      'signed by an unknown key',
      async () => auth.foreignToken(randomUUID(), randomUUID()),
      'AUTH_TOKEN_INVALID',
    ],
    [
      'for another audience',
      async () => auth.token(randomUUID(), randomUUID(), { audience: 'someone-else' }),
      'AUTH_TOKEN_INVALID',
    ],
    [
      'expired',
      async () => auth.token(randomUUID(), randomUUID(), { expiresInSec: -60 }),
      'AUTH_TOKEN_EXPIRED',
    ],
  ])('refuses a token %s with 4401 (header and frame alike)', async (_name, makeToken, code) => {
    const token = await makeToken();
    const byHeader = await TestSocket.open(gateway.url, { token });
    expect(await byHeader.waitClosed()).toMatchObject({ code: 4401 });
    expect(byHeader.of('error')).toEqual([expect.objectContaining({ code })]);

    const byFrame = await TestSocket.open(gateway.url);
    byFrame.send({ type: 'auth', ref: 'a', token });
    expect(await byFrame.waitClosed()).toMatchObject({ code: 4401 });
    expect(byFrame.of('error')).toEqual([expect.objectContaining({ code, ref: 'a' })]);
  });

  it('refuses an Authorization header that is not a Bearer token', async () => {
    const socket = await TestSocket.open(gateway.url, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(await socket.waitClosed()).toMatchObject({ code: 4401 });
    expect(socket.of('error')[0]?.code).toBe('AUTH_TOKEN_INVALID');
  });

  it('closes every socket of a revoked session at once (4403) and refuses its still-valid token afterwards', async () => {
    const user = newUser();
    const token = await auth.token(user.userId, user.deviceId);
    const first = await TestSocket.live(gateway.url, token);
    const second = await TestSocket.live(gateway.url, token);
    const otherDevice = await TestSocket.live(gateway.url, await auth.token(user.userId, randomUUID()));

    await gateway.broker.publish('session.revoked.v1', {
      sessionId: user.deviceId,
      userId: user.userId,
      reason: 'logout',
      revokedAt: new Date().toISOString(),
    });

    for (const socket of [first, second]) {
      expect(await socket.waitClosed()).toMatchObject({ code: 4403 });
      expect(socket.of('error')).toEqual([expect.objectContaining({ code: 'AUTH_SESSION_REVOKED' })]);
    }
    await otherDevice.roundTrip('still-here');

    const again = await TestSocket.open(gateway.url, { token });
    expect(await again.waitClosed()).toMatchObject({ code: 4403 });
    expect(again.of('error')[0]?.code).toBe('AUTH_SESSION_REVOKED');
    await otherDevice.close();
  });
});

describe('origin allowlist', () => {
  it('refuses a browser from an origin not on the list with 4403', async () => {
    const user = newUser();
    const socket = await TestSocket.open(gateway.url, {
      origin: 'https://evil.example.net',
      token: await auth.token(user.userId, user.deviceId),
    });
    expect(await socket.waitClosed()).toMatchObject({ code: 4403 });
    expect(socket.of('error')).toEqual([expect.objectContaining({ code: 'WS_ORIGIN_REFUSED' })]);
    expect(socket.of('ready')).toEqual([]);
  });

  it('accepts a listed origin, and clients that send no Origin (not browsers)', async () => {
    const user = newUser();
    const token = await auth.token(user.userId, user.deviceId);
    const browser = await TestSocket.open(gateway.url, { origin: 'https://chat.example.com', token });
    await browser.waitFor('sync.done');
    const native = await TestSocket.open(gateway.url, { token });
    await native.waitFor('sync.done');
    await browser.close();
    await native.close();
  });
});
