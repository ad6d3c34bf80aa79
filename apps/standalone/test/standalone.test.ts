import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@im/logger';
import { createEmptyDatabase, type EmptyDatabase } from '@im/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pick } from '../src/dispatch.js';
import { type Standalone, startStandalone } from '../src/standalone.js';

describe('path dispatch', () => {
  const [a, b, fallback] = ['a', 'b', 'fallback'] as unknown as Parameters<typeof pick>[1][];
  const routes = [
    { prefix: '/v1/auth/', app: a! },
    { prefix: '/v1/conversations', app: b! },
  ];
  it('matches whole path segments only', () => {
    expect(pick(routes, fallback!, '/v1/auth/login')).toBe(a);
    expect(pick(routes, fallback!, '/v1/auth')).toBe(a);
    expect(pick(routes, fallback!, '/v1/conversations')).toBe(b);
    expect(pick(routes, fallback!, '/v1/conversations/x/messages?after=1')).toBe(b);
    expect(pick(routes, fallback!, '/v1/conversationsXYZ')).toBe(fallback);
    expect(pick(routes, fallback!, '/v1/authentic')).toBe(fallback);
    expect(pick(routes, fallback!, '/')).toBe(fallback);
  });
});

describe('standalone system (in-process, on a fresh database)', () => {
  let database: EmptyDatabase;
  let dataDir: string;
  let system: Standalone;

  beforeAll(async () => {
    database = await createEmptyDatabase('standalone');
    dataDir = await mkdtemp(join(tmpdir(), 'im-standalone-'));
    system = await startStandalone({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      databaseUrl: database.url,
      webDist: join(dataDir, 'no-web-build'),
      logger: silentLogger(),
      loggerFor: () => silentLogger(),
    });
  });
  afterAll(async () => {
    await system?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is ready when every service is, and keeps its secrets private', async () => {
    const res = await fetch(`${system.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { auth: 'ok', messages: 'ok', gateway: 'ok' } });
    expect((await stat(join(dataDir, 'secrets.json'))).mode & 0o777).toBe(0o600);
  });

  it('routes each path to its service on the one port', async () => {
    const register = await fetch(`${system.url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'standalone_user', password: 'long enough password' }),
    });
    expect(register.status).toBe(201);
    const jwks = (await (await fetch(`${system.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    const conversations = await fetch(`${system.url}/v1/conversations`);
    expect(conversations.status).toBe(401);
    expect(((await conversations.json()) as { error: { code: string } }).error.code).toBe(
      'AUTH_TOKEN_MISSING',
    );
    const internal = await fetch(`${system.url}/internal/v1/users/${crypto.randomUUID()}/contacts`);
    expect(internal.status).toBe(401);
    const unknown = await fetch(`${system.url}/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('serves a page at / even without a web build', async () => {
    const res = await fetch(system.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('pnpm --filter @im/web build');
  });

  it('upgrades /v1/ws to the gateway and refuses a WebSocket anywhere else', async () => {
    const ws = new WebSocket(`${system.url.replace('http', 'ws')}/v1/ws`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token: 'not.a.token' })));
      ws.once('message', (data) => resolve(data.toString()));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'error', code: 'AUTH_TOKEN_INVALID' });
    ws.terminate();

    const elsewhere = new WebSocket(`${system.url.replace('http', 'ws')}/v1/conversations`);
    const refused = await new Promise<string>((resolve) => {
      elsewhere.once('error', (error) => resolve(error.message));
      elsewhere.once('open', () => resolve('opened'));
    });
    expect(refused).not.toBe('opened');
  });
});
