import { AppError, type ErrorBody, type ErrorCode } from '@im/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

const BY_FASTIFY_CODE: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** Translates anything thrown in a route into `{ error: { code, message } }` with the catalog's status. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({
      path: v.instancePath || '/',
      message: v.message ?? 'invalid',
    }));
    const where = error.validationContext ?? 'request';
    return new AppError('VALIDATION_FAILED', `Invalid ${where}: ${describe(details)}`, details);
  }
  if (fastifyError.code && BY_FASTIFY_CODE[fastifyError.code]) {
    return new AppError(BY_FASTIFY_CODE[fastifyError.code]!, fastifyError.message);
  }
  if (error instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new AppError('VALIDATION_FAILED', 'The body is not valid JSON');
  }
  const status = fastifyError.statusCode;
  if (status && status < 500 && BY_STATUS[status])
    return new AppError(BY_STATUS[status]!, fastifyError.message);
  return new AppError('INTERNAL');
}

function describe(details: Array<{ path: string; message: string }>): string {
  return details
    .slice(0, 5)
    .map((d) => `${d.path} ${d.message}`)
    .join('; ');
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: appError.code, reason: appError.message }, 'request refused');
    if (appError.code === 'RATE_LIMITED' && !reply.getHeader('retry-after')) reply.header('retry-after', '1');
    const body: ErrorBody = appError.toBody();
    return reply.status(appError.status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = new AppError('NOT_FOUND', `No route ${request.method} ${request.url}`).toBody();
    return reply.status(404).send(body);
  });
}
