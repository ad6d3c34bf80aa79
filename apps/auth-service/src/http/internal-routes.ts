import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, RevocationsQuery, RevocationsResponse } from '@im/contracts';
import type { ZodTypeProvider } from '@im/service';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../domain/auth-service.js';
import { errors } from './common.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Service-to-service endpoints, behind the shared `x-internal-token` (an encapsulated plugin). */
export async function internalRoutes(
  app: FastifyInstance,
  { auth, internalToken }: { auth: AuthService; internalToken: string },
): Promise<void> {
  const expected = digest(internalToken);
  app.addHook('onRequest', async (request) => {
    const presented = request.headers['x-internal-token'];
    if (typeof presented !== 'string' || presented.length === 0) {
      throw new AppError('AUTH_TOKEN_MISSING', 'This endpoint needs the x-internal-token header');
    }
    // Digests compare in constant time whatever the presented length.
    if (!timingSafeEqual(digest(presented), expected)) throw new AppError('AUTH_FORBIDDEN');
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/internal/v1/revocations',
    {
      schema: {
        tags: ['internal'],
        summary: 'Sessions revoked within one access-token lifetime (for a verifier that starts)',
        description:
          'Load these into the revocation list at start, then follow session.revoked.v1. Needs x-internal-token.',
        querystring: RevocationsQuery,
        response: { 200: RevocationsResponse, ...errors(400, 401, 403) },
      },
    },
    async (request) =>
      auth.recentRevocations({
        ...(request.query.since ? { since: new Date(request.query.since) } : {}),
        ...(request.query.afterId ? { afterId: request.query.afterId } : {}),
      }),
  );
}
