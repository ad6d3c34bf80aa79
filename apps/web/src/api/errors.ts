/** A refusal from the server (`{ error: { code, message } }`) or a failure to reach it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** No answer at all (offline, server down): worth retrying later. */
  get network(): boolean {
    return this.status === 0;
  }
}

/** Codes after which the session cannot continue: back to the sign-in screen. */
const SESSION_ENDED = new Set([
  'AUTH_REFRESH_INVALID',
  'AUTH_REFRESH_REUSED',
  'AUTH_SESSION_REVOKED',
  'AUTH_TOKEN_INVALID',
  'AUTH_TOKEN_MISSING',
]);

export function endsSession(error: unknown): boolean {
  return error instanceof ApiError && SESSION_ENDED.has(error.code);
}

/** A sentence for a person, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.network) return 'Cannot reach the server. Check your connection and try again.';
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `The server answered ${response.status}`;
  try {
    const body: unknown = await response.json();
    if (isErrorBody(body)) {
      code = body.error.code;
      message = body.error.message;
    }
  } catch (parseError) {
    // Not JSON (a proxy's error page, say): keep the status line as the message.
    message = `${message} (${parseError instanceof Error ? 'unreadable body' : 'no body'})`;
  }
  return new ApiError(response.status, code, message);
}

function isErrorBody(body: unknown): body is { error: { code: string; message: string } } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}
