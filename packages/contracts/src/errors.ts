import { z } from 'zod';

/**
 * The one catalog of error codes. Every error that leaves a process (HTTP body,
 * WebSocket error frame or close, dead-lettered broker message) carries one of
 * these codes. The area prefix says who raises it.
 *
 * - `http`: the HTTP status the code is answered with.
 * - `wsClose`: the WebSocket close code, for errors that end the connection
 *   (4000–4999 is the private-use range of RFC 6455). Absent: the error is sent
 *   as an `error` frame and the connection stays open.
 * - `retryable`: true when the same request may succeed later unchanged
 *   (transient); a broker consumer retries these with backoff, and acks +
 *   dead-letters the permanent ones at once.
 */
export const ErrorCatalog = {
  // Generic / request edge
  VALIDATION_FAILED: { http: 400, retryable: false, message: 'The request does not match its schema' },
  BODY_TOO_LARGE: { http: 413, retryable: false, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, retryable: false, message: 'Send application/json' },
  NOT_FOUND: { http: 404, retryable: false, message: 'No such resource' },
  RATE_LIMITED: { http: 429, retryable: true, message: 'Too many requests; retry later' },
  INTERNAL: { http: 500, retryable: true, message: 'Internal error' },
  UNAVAILABLE: { http: 503, retryable: true, message: 'Service unavailable; retry later' },

  // Auth service
  AUTH_INVALID_CREDENTIALS: { http: 401, retryable: false, message: 'Wrong username or password' },
  AUTH_TOKEN_MISSING: { http: 401, wsClose: 4401, retryable: false, message: 'Authentication required' },
  AUTH_TOKEN_INVALID: { http: 401, wsClose: 4401, retryable: false, message: 'The access token is invalid' },
  AUTH_TOKEN_EXPIRED: { http: 401, wsClose: 4401, retryable: false, message: 'The access token has expired' },
  AUTH_SESSION_REVOKED: { http: 401, wsClose: 4403, retryable: false, message: 'This session has ended' },
  AUTH_REFRESH_INVALID: { http: 401, retryable: false, message: 'The refresh token is invalid or spent' },
  AUTH_REFRESH_REUSED: {
    http: 401,
    retryable: false,
    message: 'A spent refresh token was presented; the session has been revoked',
  },
  AUTH_USERNAME_TAKEN: { http: 409, retryable: false, message: 'That username is taken' },
  AUTH_FORBIDDEN: { http: 403, wsClose: 4403, retryable: false, message: 'Not allowed' },
  AUTH_KEYS_CONFLICT: {
    http: 409,
    retryable: false,
    message: 'The key version does not follow the current one',
  },

  // Messaging
  MSG_NOT_MEMBER: { http: 403, retryable: false, message: 'You are not a member of this conversation' },
  MSG_CONVERSATION_NOT_FOUND: { http: 404, retryable: false, message: 'No such conversation' },
  MSG_ENVELOPE_TOO_LARGE: { http: 413, retryable: false, message: 'The message envelope is too large' },
  MSG_GROUP_FULL: { http: 409, retryable: false, message: 'The group has reached its member limit' },
  MSG_DUPLICATE: {
    http: 409,
    retryable: false,
    message: 'This clientMsgId was already used for another message',
  },
  MSG_RESYNC_REQUIRED: {
    http: 410,
    retryable: false,
    message: 'Your cursor is behind the retention horizon; resync',
  },
  MSG_NOT_GROUP: {
    http: 409,
    retryable: false,
    message: 'Only a group conversation can be renamed or change members',
  },

  // Database plumbing (start-up and test-time failures of @im/db)
  DB_MIGRATION_EDITED: {
    http: 500,
    retryable: false,
    message: 'A migration that was already applied has been edited',
  },
  DB_MIGRATION_FAILED: {
    http: 500,
    retryable: false,
    message: 'A migration failed; resolve it before applying more',
  },
  DB_MIGRATIONS_INVALID: { http: 500, retryable: false, message: 'The migrations folder is not valid' },
  DB_NOT_EMPTY: {
    http: 500,
    retryable: false,
    message: 'The database schema has tables but no migration history; baseline it first',
  },
  DB_MIGRATION_LOCK_TIMEOUT: {
    http: 503,
    retryable: true,
    message: 'Timed out waiting for the migration lock',
  },
  DB_SCHEMA_DRIFT: { http: 500, retryable: false, message: 'The database does not match the Prisma schema' },
  DB_EMBEDDED_START_FAILED: {
    http: 500,
    retryable: false,
    message: 'The embedded PostgreSQL server did not start',
  },

  // WebSocket gateway
  WS_BAD_FRAME: { http: 400, retryable: false, message: 'The frame is not valid' },
  WS_FRAME_TOO_LARGE: { http: 413, wsClose: 1009, retryable: false, message: 'The frame is too large' },
  WS_RATE_LIMITED: { http: 429, retryable: true, message: 'Slow down' },
  WS_AUTH_TIMEOUT: { http: 401, wsClose: 4408, retryable: false, message: 'No auth frame in time' },
  WS_HEARTBEAT_TIMEOUT: { http: 408, wsClose: 4000, retryable: true, message: 'Heartbeat timeout' },
  WS_SLOW_CONSUMER: { http: 503, wsClose: 4002, retryable: true, message: 'Send buffer overflow; reconnect' },
  WS_TOO_MANY_CONNECTIONS: { http: 429, wsClose: 4029, retryable: true, message: 'Too many connections' },
  WS_ORIGIN_REFUSED: { http: 403, wsClose: 4403, retryable: false, message: 'Origin not allowed' },
  WS_GOING_AWAY: { http: 503, wsClose: 1012, retryable: true, message: 'Server restarting; reconnect' },
  WS_RATE_LIMIT_EXCEEDED: {
    http: 429,
    wsClose: 4008,
    retryable: true,
    message: 'Frames kept coming over the rate limit; connection closed',
  },
  WS_UPSTREAM_UNAVAILABLE: {
    http: 503,
    wsClose: 4013,
    retryable: true,
    message: 'A backend service is unavailable; reconnect later',
  },

  // Broker
  BROKER_UNROUTABLE: { http: 500, retryable: true, message: 'The broker could not route the message' },
  BROKER_NOT_CONFIRMED: { http: 503, retryable: true, message: 'The broker did not confirm the publish' },
  BROKER_INVALID_MESSAGE: {
    http: 500,
    retryable: false,
    message: 'The broker message does not match its schema',
  },
  BROKER_NO_HANDLER: {
    http: 500,
    retryable: false,
    message: 'The consumer of this queue has no handler for this message type',
  },
  BROKER_UNAVAILABLE: { http: 503, retryable: true, message: 'No connection to the message broker' },
  BROKER_NOT_FOUND: { http: 500, retryable: false, message: 'No such exchange or queue on the broker' },
  BROKER_TOPOLOGY_CONFLICT: {
    http: 500,
    retryable: false,
    message: 'The broker already has this exchange or queue with other settings',
  },
} as const satisfies Record<string, { http: number; wsClose?: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ErrorCatalog;
export const ErrorCode = z.enum(Object.keys(ErrorCatalog) as [ErrorCode, ...ErrorCode[]]);

/** The body of every HTTP error answer: `{ error: { code, message, details? } }`. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'ErrorBody' });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error that carries a catalog code. Throw it anywhere; the edges translate it. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ErrorCatalog[code].message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return ErrorCatalog[this.code].http;
  }
  get retryable(): boolean {
    return ErrorCatalog[this.code].retryable;
  }
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Whether a failure should be retried: AppErrors say so; anything unknown is assumed transient. */
export function isRetryable(err: unknown): boolean {
  return isAppError(err) ? err.retryable : true;
}

/** Close code for a code that ends a WebSocket (1011 for any other fatal error). */
export function wsCloseCode(code: ErrorCode): number {
  const entry = ErrorCatalog[code];
  return 'wsClose' in entry ? entry.wsClose : 1011;
}
