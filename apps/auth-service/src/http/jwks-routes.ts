import { Jwks } from '@im/contracts';
import type { ZodTypeProvider } from '@im/service';
import type { FastifyInstance } from 'fastify';
import type { SigningKeyRing } from '../domain/signing-keys.js';

/** The public signing keys, for every service that verifies access tokens. */
export async function jwksRoutes(
  app: FastifyInstance,
  { keys, maxAgeSeconds }: { keys: SigningKeyRing; maxAgeSeconds: number },
): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['keys'],
        summary: 'Public keys that sign access tokens (current, upcoming, and recently retired)',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      // Shorter than a rotation's activation delay, so caches see a new key before it signs.
      reply.header('cache-control', `public, max-age=${maxAgeSeconds}`);
      return keys.jwks();
    },
  );
}
