import { ErrorBody } from '@im/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService, Principal, RequestContext } from '../domain/auth-service.js';
import { RateLimitedError } from '../domain/rate-limiter.js';

/** Error answers for the OpenAPI document, by status. */
export const errors = (...statuses: Array<400 | 401 | 403 | 404 | 409 | 413 | 429>) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorBody])) as Record<number, typeof ErrorBody>;

export const bearer = [{ bearer: [] }];

export function requestContext(request: FastifyRequest): RequestContext {
  return { ip: request.ip };
}

export function authenticate(auth: AuthService, request: FastifyRequest): Promise<Principal> {
  return auth.authenticate(request.headers.authorization);
}

/** `onError` hook: a 429 says when to come back. Runs before the skeleton's error handler writes the body. */
export async function retryAfterHeader(
  _request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
): Promise<void> {
  if (error instanceof RateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
}
