import { z } from 'zod';
import { Id, PublicUser, Timestamp, Username } from './common.js';
import { KeyBackup, KeyVersion, PublicKeyBundle } from './e2ee.js';

/** HTTP API of the auth service (OpenAPI at /docs on the auth service). */

const utf8Length = (value: string) => new TextEncoder().encode(value).length;

/** Longest password accepted, in UTF-8 bytes (argon2 hashes any length; this bounds the work per request). */
export const PASSWORD_MAX_BYTES = 1024;

/** A new password: at least 8 characters, at most 1024 UTF-8 bytes. */
export const NewPassword = z
  .string()
  .min(8, 'use at least 8 characters')
  .refine((p) => utf8Length(p) <= PASSWORD_MAX_BYTES, `use at most ${PASSWORD_MAX_BYTES} bytes`);

/** A password being checked: any non-empty string up to the same byte bound (policies may have changed). */
export const CurrentPassword = z
  .string()
  .min(1)
  .refine((p) => utf8Length(p) <= PASSWORD_MAX_BYTES, `use at most ${PASSWORD_MAX_BYTES} bytes`);

export const DeviceName = z.string().trim().min(1).max(64);

export const RegisterBody = z.object({ username: Username, password: NewPassword });
export type RegisterBody = z.infer<typeof RegisterBody>;

export const RegisterResponse = z.object({ user: PublicUser });
export type RegisterResponse = z.infer<typeof RegisterResponse>;

export const LoginBody = z.object({
  /** Case-insensitive. */
  username: Username,
  password: CurrentPassword,
  /** Shown in the session list ("Firefox on laptop"); default "unnamed device". */
  deviceName: DeviceName.optional(),
});
export type LoginBody = z.infer<typeof LoginBody>;

/** An opaque refresh token: 256 random bits, base64url. */
export const RefreshToken = z
  .string()
  .min(16)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'base64url');

export const RefreshBody = z.object({ refreshToken: RefreshToken });
export type RefreshBody = z.infer<typeof RefreshBody>;

/** Answer to login and refresh. The refresh token can be used once; the answer to that use carries the next. */
export const TokenPair = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    /** Seconds until the access token expires. */
    expiresIn: z.number().int().positive(),
    /** Seconds until the refresh token expires if unused. */
    refreshExpiresIn: z.number().int().positive(),
    sessionId: Id,
    user: PublicUser,
  })
  .meta({ id: 'TokenPair' });
export type TokenPair = z.infer<typeof TokenPair>;

export const ChangePasswordBody = z.object({
  currentPassword: CurrentPassword,
  newPassword: NewPassword,
});
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const SessionInfo = z
  .object({
    id: Id,
    deviceName: z.string(),
    createdAt: Timestamp,
    /** Last login or refresh. */
    lastUsedAt: Timestamp,
    /** The session of the token that asked. */
    current: z.boolean(),
  })
  .meta({ id: 'SessionInfo' });
export type SessionInfo = z.infer<typeof SessionInfo>;

export const SessionList = z.object({ sessions: z.array(SessionInfo) });
export type SessionList = z.infer<typeof SessionList>;

export const IdParams = z.object({ id: Id });

export const UserSearchQuery = z.object({
  /** Usernames starting with this, case-insensitively. */
  query: z
    .string()
    .min(1)
    .max(32)
    .regex(/^[a-zA-Z0-9_.-]+$/, 'use characters of a-z 0-9 _ . -'),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type UserSearchQuery = z.infer<typeof UserSearchQuery>;

export const UserList = z.object({ users: z.array(PublicUser) });
export type UserList = z.infer<typeof UserList>;

/** A public signing key (RFC 7517). */
export const PublicJwk = z
  .object({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.string(),
    y: z.string(),
    kid: z.string(),
    alg: z.literal('ES256'),
    use: z.literal('sig'),
  })
  .meta({ id: 'PublicJwk' });
export type PublicJwk = z.infer<typeof PublicJwk>;

export const Jwks = z.object({ keys: z.array(PublicJwk) }).meta({ id: 'Jwks' });
export type Jwks = z.infer<typeof Jwks>;

/**
 * Internal (services → auth service, `x-internal-token`): the sessions revoked
 * recently enough that some of their access tokens may still be alive. A
 * verifier that starts loads these into its revocation list, then follows
 * `session.revoked.v1`.
 */
export const RevocationsQuery = z.object({
  /** Next page: the `revokedAt` of the last entry of the previous page (default: the horizon). */
  since: Timestamp.optional(),
  /** Next page: the `sessionId` of that entry (entries are ordered by revokedAt, then sessionId). */
  afterId: Id.optional(),
});

export const RevocationsResponse = z.object({
  revocations: z.array(z.object({ sessionId: Id, revokedAt: Timestamp })),
  /** The lower bound used: the later of `since` and the horizon before which every token has expired. */
  since: Timestamp,
  /** More revocations follow: ask again with `since` and `afterId` of the last entry. */
  hasMore: z.boolean(),
});
export type RevocationsResponse = z.infer<typeof RevocationsResponse>;

// ---- public-key directory (end-to-end encryption keys) --------------------
// The formats themselves (PublicKeyBundle, KeyBackup) belong to e2ee.ts.

export const PutKeysBody = z.object({
  /** Must be the current version + 1 (1 for the first upload); otherwise 409 AUTH_KEYS_CONFLICT. */
  keyVersion: KeyVersion,
  /** X25519 key-agreement public key. */
  x25519: PublicKeyBundle.shape.x25519,
  /** Ed25519 signing public key. */
  ed25519: PublicKeyBundle.shape.ed25519,
  /** The private keys sealed on the client; its userId must be the caller's. */
  backup: KeyBackup,
});
export type PutKeysBody = z.infer<typeof PutKeysBody>;

export const PutKeyBackupBody = z.object({
  /** Must be the current version: a backup re-sealed (after a password change) for the same keys. */
  keyVersion: KeyVersion,
  backup: KeyBackup,
});
export type PutKeyBackupBody = z.infer<typeof PutKeyBackupBody>;

/** A user's public keys as the directory serves them, with the time that version was published. */
export const UserKeys = PublicKeyBundle.extend({ createdAt: Timestamp }).meta({ id: 'UserKeys' });
export type UserKeys = z.infer<typeof UserKeys>;

export const UserKeysQuery = z.object({
  /** A past version (to check an old message's signature); default the current one. */
  version: z.coerce.number().pipe(KeyVersion).optional(),
});

export const KeyBackupResponse = z.object({
  keyVersion: KeyVersion,
  backup: KeyBackup,
  updatedAt: Timestamp,
});
export type KeyBackupResponse = z.infer<typeof KeyBackupResponse>;
