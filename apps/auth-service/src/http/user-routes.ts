import { IdParams, PublicUser, UserList, UserSearchQuery } from '@im/contracts';
import type { ZodTypeProvider } from '@im/service';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../domain/auth-service.js';
import { authenticate, bearer, errors } from './common.js';

const tags = ['users'];

/** Public profiles, to find someone to talk to. */
export async function userRoutes(app: FastifyInstance, { auth }: { auth: AuthService }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/users/me',
    {
      schema: {
        tags,
        summary: 'The caller',
        security: bearer,
        response: { 200: PublicUser, ...errors(401) },
      },
    },
    async (request) => auth.getUser((await authenticate(auth, request)).userId),
  );

  r.get(
    '/v1/users/:id',
    {
      schema: {
        tags,
        summary: 'A public profile by id',
        security: bearer,
        params: IdParams,
        response: { 200: PublicUser, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      await authenticate(auth, request);
      return auth.getUser(request.params.id);
    },
  );

  r.get(
    '/v1/users',
    {
      schema: {
        tags,
        summary: 'Find users whose username starts with the query (case-insensitive)',
        security: bearer,
        querystring: UserSearchQuery,
        response: { 200: UserList, ...errors(400, 401) },
      },
    },
    async (request) => {
      await authenticate(auth, request);
      return { users: await auth.searchUsers(request.query.query, request.query.limit) };
    },
  );
}
