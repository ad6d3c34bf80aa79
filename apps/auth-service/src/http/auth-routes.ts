import {
  ChangePasswordBody,
  IdParams,
  LoginBody,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  SessionList,
  TokenPair,
} from '@im/contracts';
import type { ZodTypeProvider } from '@im/service';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuthService } from '../domain/auth-service.js';
import { authenticate, bearer, errors, requestContext } from './common.js';

const tags = ['auth'];

/** Accounts, login, token refresh, logout and the session (device) list. */
export async function authRoutes(app: FastifyInstance, { auth }: { auth: AuthService }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/auth/register',
    {
      schema: {
        tags,
        summary: 'Create an account',
        description:
          'Usernames: 3–32 characters of a-z 0-9 _ . -, unique regardless of case. Passwords: 8 characters to 1024 bytes. Rate limited per IP and per username.',
        body: RegisterBody,
        response: { 201: RegisterResponse, ...errors(400, 409, 413, 429) },
      },
    },
    async (request, reply) => {
      const user = await auth.register(request.body, requestContext(request));
      return reply.status(201).send({ user });
    },
  );

  r.post(
    '/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in a device: opens a session and returns its tokens',
        description:
          'The username is case-insensitive. An unknown user and a wrong password get the same 401. Rate limited per IP and per username.',
        body: LoginBody,
        response: { 200: TokenPair, ...errors(400, 401, 413, 429) },
      },
    },
    async (request) => auth.login(request.body, requestContext(request)),
  );

  r.post(
    '/v1/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Exchange a refresh token for a new token pair',
        description:
          'The refresh token is spent by this call; use the new one next time. Presenting a spent token revokes the whole session (AUTH_REFRESH_REUSED).',
        body: RefreshBody,
        response: { 200: TokenPair, ...errors(400, 401, 413, 429) },
      },
    },
    async (request) => auth.refresh(request.body.refreshToken, requestContext(request)),
  );

  r.post(
    '/v1/auth/logout',
    {
      schema: {
        tags,
        summary: "End this token's session",
        security: bearer,
        response: { 204: z.null(), ...errors(401) },
      },
    },
    async (request, reply) => {
      await auth.logout(await authenticate(auth, request));
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/v1/auth/password',
    {
      schema: {
        tags,
        summary: 'Change the password; ends every other session',
        description:
          'Key backups sealed under the old password must be re-sealed by the client (PUT /v1/keys/backup).',
        security: bearer,
        body: ChangePasswordBody,
        response: { 204: z.null(), ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(auth, request);
      await auth.changePassword(principal, request.body, requestContext(request));
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/v1/auth/sessions',
    {
      schema: {
        tags,
        summary: "The caller's active sessions (devices)",
        security: bearer,
        response: { 200: SessionList, ...errors(401) },
      },
    },
    async (request) => ({ sessions: await auth.listSessions(await authenticate(auth, request)) }),
  );

  r.delete(
    '/v1/auth/sessions/:id',
    {
      schema: {
        tags,
        summary: 'End one of your sessions (log a device out)',
        security: bearer,
        params: IdParams,
        response: { 204: z.null(), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await auth.deleteSession(await authenticate(auth, request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
