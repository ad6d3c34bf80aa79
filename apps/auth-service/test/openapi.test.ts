import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH, renderOpenApi } from '../src/openapi.js';

describe('docs/openapi/auth-service.json', () => {
  it('is what the app generates (run `pnpm --filter @im/auth-service openapi` after changing a route)', async () => {
    const committed = await readFile(OPENAPI_PATH, 'utf8');
    expect(committed).toBe(await renderOpenApi());
  });

  it('documents every public route with its security and error answers', async () => {
    const doc = JSON.parse(await renderOpenApi());
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/.well-known/jwks.json',
      '/internal/v1/revocations',
      '/v1/auth/login',
      '/v1/auth/logout',
      '/v1/auth/password',
      '/v1/auth/refresh',
      '/v1/auth/register',
      '/v1/auth/sessions',
      '/v1/auth/sessions/{id}',
      '/v1/keys',
      '/v1/keys/backup',
      '/v1/users',
      '/v1/users/me',
      '/v1/users/{id}',
      '/v1/users/{id}/keys',
    ]);
    expect(doc.paths['/v1/auth/logout'].post.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(doc.paths['/v1/auth/login'].post.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '429']),
    );
  });
});
