import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRevocations } from './load-revocations.js';
import { RevocationList } from './revocation-list.js';

describe('loadRevocations', () => {
  const at = new Date().toISOString();
  const entries = [randomUUID(), randomUUID(), randomUUID()]
    .sort()
    .map((sessionId) => ({ sessionId, revokedAt: at }));
  const requests: string[] = [];
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // Two pages, the way the auth service answers them.
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      if (request.headers['x-internal-token'] !== 'secret-internal-token') {
        response.writeHead(403).end();
        return;
      }
      const url = new URL(request.url ?? '/', 'http://x');
      const afterId = url.searchParams.get('afterId');
      const rest = afterId ? entries.filter((e) => e.sessionId > afterId) : entries;
      const page = rest.slice(0, 2);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ revocations: page, since: at, hasMore: rest.length > 2 }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('follows the pages and fills the list', async () => {
    const list = new RevocationList({ retentionMs: 60_000 });
    expect(await loadRevocations(list, { authUrl: base, internalToken: 'secret-internal-token' })).toBe(3);
    for (const entry of entries) expect(list.isRevoked(entry.sessionId)).toBe(true);
    expect(requests.at(-1)).toContain(`afterId=${entries[1]!.sessionId}`);
  });

  it('fails with UNAVAILABLE when refused or unreachable', async () => {
    const list = new RevocationList({ retentionMs: 60_000 });
    await expect(
      loadRevocations(list, { authUrl: base, internalToken: 'wrong-token-value' }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    await expect(
      loadRevocations(list, { authUrl: 'http://127.0.0.1:9', internalToken: 'secret-internal-token' }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
