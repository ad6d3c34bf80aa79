import { ErrorCatalog, type ErrorCode } from '@im/contracts';
import { isCryptoError } from '@im/crypto';
import { ApiError } from '../api/http.js';
import type { Env, Style } from '../ui/color.js';
import { CliError, ExitCode } from './errors.js';

/** Server error codes worded for a person at a terminal. */
const FRIENDLY: Partial<Record<ErrorCode, string>> = {
  AUTH_INVALID_CREDENTIALS: 'wrong username or password',
  AUTH_USERNAME_TAKEN: 'that username is taken',
  RATE_LIMITED: 'too many attempts; wait a moment and try again',
  MSG_NOT_MEMBER: 'you are not a member of that conversation',
  MSG_CONVERSATION_NOT_FOUND: 'no such conversation',
  MSG_GROUP_FULL: 'the group is full',
  MSG_ENVELOPE_TOO_LARGE: 'the message is too large',
  MSG_NOT_GROUP: 'that is a direct chat, not a group',
};

function isCatalogCode(code: string): code is ErrorCode {
  return Object.hasOwn(ErrorCatalog, code);
}

/** Turns any failure into what `im` prints and the exit status it ends with. Stack traces only with IM_DEBUG. */
export function describeFailure(error: unknown, style: Style, env: Env): { text: string; exitCode: number } {
  const line = (message: string, hint?: string) =>
    `${style.red('im:')} ${message}\n${hint ? `${style.dim(`  ${hint}`)}\n` : ''}`;
  if (error instanceof CliError) {
    return { text: line(error.message, error.hint), exitCode: error.exitCode };
  }
  if (error instanceof ApiError) {
    const known = isCatalogCode(error.code) ? ErrorCatalog[error.code] : undefined;
    const friendly = isCatalogCode(error.code) ? FRIENDLY[error.code] : undefined;
    const retryable = known ? known.retryable : error.status >= 500;
    if (retryable && error.code !== 'RATE_LIMITED') {
      return {
        text: line(`the server is unavailable (${error.message})`, 'try again in a moment'),
        exitCode: ExitCode.unavailable,
      };
    }
    if (error.status === 401) {
      return {
        text: line(
          friendly ?? error.message,
          error.code === 'AUTH_INVALID_CREDENTIALS' ? undefined : 'run `im login`',
        ),
        exitCode: error.code === 'AUTH_INVALID_CREDENTIALS' ? ExitCode.failure : ExitCode.noAuth,
      };
    }
    return {
      text: line(friendly ?? `${error.message}${detailsOf(error)}`),
      exitCode: error.code === 'RATE_LIMITED' ? ExitCode.unavailable : ExitCode.failure,
    };
  }
  if (isCryptoError(error)) {
    return { text: line(`encryption failed: ${error.message}`), exitCode: ExitCode.failure };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = env.IM_DEBUG && error instanceof Error && error.stack ? `${error.stack}\n` : '';
  return {
    text: `${line(`unexpected error: ${message}`, env.IM_DEBUG ? undefined : 'this is a bug in im; IM_DEBUG=1 shows where')}${stack}`,
    exitCode: ExitCode.failure,
  };
}

/** The first validation issue of a VALIDATION_FAILED answer, if the server sent them. */
function detailsOf(error: ApiError): string {
  if (!Array.isArray(error.details)) return '';
  const first: unknown = error.details[0];
  if (
    typeof first === 'object' &&
    first !== null &&
    'message' in first &&
    typeof first.message === 'string'
  ) {
    const path = 'path' in first && Array.isArray(first.path) ? first.path.join('.') : '';
    return `: ${path ? `${path}: ` : ''}${first.message}`;
  }
  return '';
}
