import {
  IdParams,
  KeyBackupResponse,
  PutKeyBackupBody,
  PutKeysBody,
  UserKeys,
  UserKeysQuery,
} from '@im/contracts';
import type { ZodTypeProvider } from '@im/service';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../domain/auth-service.js';
import type { KeyDirectory } from '../domain/key-directory.js';
import { authenticate, bearer, errors } from './common.js';

const tags = ['keys'];

/** The public-key directory of end-to-end encryption. */
export async function keyRoutes(
  app: FastifyInstance,
  { auth, keys }: { auth: AuthService; keys: KeyDirectory },
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.put(
    '/v1/keys',
    {
      schema: {
        tags,
        summary: 'Publish my next public key bundle with its sealed backup',
        description:
          'keyVersion must be the current version + 1 (1 for the first upload), else 409 AUTH_KEYS_CONFLICT. Publishes keys.changed.v1.',
        security: bearer,
        body: PutKeysBody,
        response: { 200: UserKeys, ...errors(400, 401, 409, 413) },
      },
    },
    async (request) => keys.publish(await authenticate(auth, request), request.body),
  );

  r.get(
    '/v1/keys/backup',
    {
      schema: {
        tags,
        summary: 'My sealed key backup (to restore my keys on a new device)',
        security: bearer,
        response: { 200: KeyBackupResponse, ...errors(401, 404) },
      },
    },
    async (request) => keys.backupOf(await authenticate(auth, request)),
  );

  r.put(
    '/v1/keys/backup',
    {
      schema: {
        tags,
        summary: 'Replace my key backup for the current key version (after a password change)',
        security: bearer,
        body: PutKeyBackupBody,
        response: { 200: KeyBackupResponse, ...errors(400, 401, 409, 413) },
      },
    },
    async (request) => keys.replaceBackup(await authenticate(auth, request), request.body),
  );

  r.get(
    '/v1/users/:id/keys',
    {
      schema: {
        tags,
        summary: "A user's public key bundle (current, or ?version=N)",
        security: bearer,
        params: IdParams,
        querystring: UserKeysQuery,
        response: { 200: UserKeys, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      await authenticate(auth, request);
      return keys.keysOf(request.params.id, request.query.version);
    },
  );
}
