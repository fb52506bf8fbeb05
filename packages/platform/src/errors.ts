/** What every registered error declares: a stable code, the HTTP status it maps to, and whether a retry can help. */
export interface ErrorSpec {
  status: number;
  title: string;
  retryable: boolean;
}

/**
 * An error with a stable code from a package's registry. problem+json is made from it only at the
 * HTTP edge; `detail` is safe to show to the caller, `cause` never is.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly retryable: boolean;
  readonly extensions: Record<string, unknown>;

  constructor(code: string, spec: ErrorSpec, detail: string, opts: { cause?: unknown; extensions?: Record<string, unknown> } = {}) {
    super(detail, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = spec.status;
    this.title = spec.title;
    this.retryable = spec.retryable;
    this.extensions = opts.extensions ?? {};
  }
}

/** A typed registry: `errors.create('ORDER_NOT_FOUND', 'detail')` makes an AppError with the registered spec. */
export interface ErrorRegistry<C extends string> {
  readonly specs: Readonly<Record<C, ErrorSpec>>;
  create(code: C, detail: string, opts?: { cause?: unknown; extensions?: Record<string, unknown> }): AppError;
  is(error: unknown, code: C): error is AppError;
}

export function defineErrors<C extends string>(specs: Record<C, ErrorSpec>): ErrorRegistry<C> {
  return {
    specs,
    create: (code, detail, opts) => new AppError(code, specs[code], detail, opts),
    is: (error, code): error is AppError => error instanceof AppError && error.code === code,
  };
}

/** Errors raised by the platform itself (HTTP edge, auth, idempotency, load shedding). */
export const platformErrors = defineErrors({
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid', retryable: false },
  MALFORMED_JSON: { status: 400, title: 'Body is not valid JSON', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', retryable: false },
  BODY_TOO_LARGE: { status: 413, title: 'Request body too large', retryable: false },
  UNAUTHENTICATED: { status: 401, title: 'Missing or invalid API key', retryable: false },
  FORBIDDEN: { status: 403, title: 'Not allowed for this key', retryable: false },
  BAD_REQUEST: { status: 400, title: 'Request could not be parsed', retryable: false },
  REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time', retryable: true },
  URI_TOO_LONG: { status: 414, title: 'URL too long', retryable: false },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large', retryable: false },
  NOT_FOUND: { status: 404, title: 'Not found', retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', retryable: false },
  RATE_LIMITED: { status: 429, title: 'Too many requests', retryable: true },
  OVERLOADED: { status: 503, title: 'Service overloaded', retryable: true },
  NOT_READY: { status: 503, title: 'Service not ready', retryable: true },
  BAD_GATEWAY: { status: 502, title: 'No valid answer from the service', retryable: true },
  GATEWAY_TIMEOUT: { status: 504, title: 'The service did not answer in time', retryable: true },
  INTERNAL: { status: 500, title: 'Internal error', retryable: true },
});
export type PlatformErrorCode = keyof typeof platformErrors.specs;
