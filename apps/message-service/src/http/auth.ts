import { createHash, timingSafeEqual } from 'node:crypto';
import type { Verifier } from '@im/auth-client';
import { AppError } from '@im/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Who is calling: the user and their device (= auth session). */
export interface Identity {
  readonly userId: string;
  readonly deviceId: string;
}

const identities = new WeakMap<FastifyRequest, Identity>();

/** Requires `Authorization: Bearer <access token>` on every route of `app` (an encapsulated plugin). */
export function requireBearer(app: FastifyInstance, verifier: Verifier): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header) throw new AppError('AUTH_TOKEN_MISSING');
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match?.[1])
      throw new AppError('AUTH_TOKEN_INVALID', 'Use the Authorization header "Bearer <token>"');
    const verified = await verifier.verify(match[1]);
    identities.set(request, { userId: verified.userId, deviceId: verified.sessionId });
  });
}

/** The caller of a route behind `requireBearer`. */
export function identityOf(request: FastifyRequest): Identity {
  const identity = identities.get(request);
  if (!identity) throw new AppError('AUTH_TOKEN_MISSING');
  return identity;
}

/** Requires the shared `x-internal-token` on every route of `app` (service-to-service calls). */
export function requireInternalToken(app: FastifyInstance, token: string): void {
  const expected = digest(token);
  app.addHook('onRequest', async (request) => {
    const presented = request.headers['x-internal-token'];
    if (typeof presented !== 'string' || presented.length === 0) {
      throw new AppError('AUTH_TOKEN_MISSING', 'This endpoint needs the x-internal-token header');
    }
    // Compared as digests so the comparison takes the same time whatever the length.
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new AppError('AUTH_FORBIDDEN', 'The internal token is wrong');
    }
  });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
