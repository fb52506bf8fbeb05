import { AppError, platformErrors, type PlatformErrorCode } from '../errors.ts';

/** RFC 9457 problem details, with our stable `code` as an extension member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  instance?: string;
  errors?: Array<{ path: string; message: string }>;
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `urn:orderflow:problem:${code}`;
}

export function problemFromAppError(e: AppError, instance?: string): Problem {
  return {
    ...e.extensions,
    type: problemType(e.code),
    title: e.title,
    status: e.status,
    detail: e.message,
    code: e.code,
    ...(instance ? { instance } : {}),
  };
}

const CLIENT_ERROR_CODES: Record<number, PlatformErrorCode> = {
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'BODY_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>;
  validationContext?: string;
}

/**
 * Maps anything thrown to a problem. Only AppErrors and fastify's own client errors keep their
 * message; anything else becomes a 500 that says nothing about internals.
 */
export function toProblem(error: unknown, instance?: string): Problem {
  if (error instanceof AppError) return problemFromAppError(error, instance);
  const e = error as FastifyLikeError;
  if (e && Array.isArray(e.validation)) {
    const where = e.validationContext ?? 'body';
    const errors = e.validation.map((v) => {
      const extra = v.params && 'additionalProperty' in v.params ? ` '${String(v.params.additionalProperty)}'` : '';
      const missing = v.params && 'missingProperty' in v.params ? ` '${String(v.params.missingProperty)}'` : '';
      return { path: `${where}${v.instancePath ?? ''}`, message: `${v.message ?? 'is not valid'}${extra}${missing}` };
    });
    return problemFromAppError(
      platformErrors.create('VALIDATION_FAILED', errors.map((x) => `${x.path} ${x.message}`).join('; '), { extensions: { errors } }),
      instance,
    );
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problemFromAppError(platformErrors.create('MALFORMED_JSON', e.message), instance);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problemFromAppError(platformErrors.create('UNSUPPORTED_MEDIA_TYPE', 'Send application/json'), instance);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problemFromAppError(platformErrors.create('BODY_TOO_LARGE', 'Request body is too large'), instance);
  }
  if (e instanceof SyntaxError || (e?.statusCode === 400 && /JSON/i.test(e.message))) {
    return problemFromAppError(platformErrors.create('MALFORMED_JSON', 'Body is not valid JSON'), instance);
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    // Other client errors from fastify: a stable code of ours, never fastify's internal one.
    const code = CLIENT_ERROR_CODES[e.statusCode] ?? 'BAD_REQUEST';
    return { ...problemFromAppError(platformErrors.create(code, e.message), instance), status: e.statusCode };
  }
  return problemFromAppError(platformErrors.create('INTERNAL', 'Something went wrong; it has been logged.'), instance);
}
