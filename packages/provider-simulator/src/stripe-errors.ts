/**
 * A reply the simulator sends: an HTTP status and either a JSON-serialisable `body` or an
 * already serialised `raw` JSON text (used to replay a stored answer byte for byte).
 */
export interface SimReply {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** Stripe's error body, `{ error: { type, code?, message, param? } }`. */
export interface StripeErrorBody {
  error: {
    type: 'invalid_request_error' | 'card_error' | 'api_error' | 'idempotency_error';
    code?: string;
    decline_code?: string;
    message: string;
    param?: string;
  };
}

function stripeError(status: number, error: StripeErrorBody['error']): SimReply {
  return { status, body: { error } satisfies StripeErrorBody };
}

export function invalidRequest(message: string, param?: string, code?: string): SimReply {
  return stripeError(400, {
    type: 'invalid_request_error',
    message,
    ...(code === undefined ? {} : { code }),
    ...(param === undefined ? {} : { param }),
  });
}

export function resourceMissing(kind: string, id: string, param?: string): SimReply {
  return stripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    ...(param === undefined ? {} : { param }),
  });
}

export function unauthorized(): SimReply {
  return stripeError(401, {
    type: 'invalid_request_error',
    message: 'Invalid API Key provided. Send it as "Authorization: Bearer <secret key>".',
  });
}

export function unknownRoute(method: string, path: string): SimReply {
  return stripeError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}).`,
  });
}

export function apiError(message = 'The simulator injected a failure (failureRate knob).'): SimReply {
  return stripeError(500, { type: 'api_error', message });
}

export function idempotencyMismatch(key: string): SimReply {
  return stripeError(400, {
    type: 'idempotency_error',
    message:
      `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
      `Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

export function idempotencyKeyInUse(): SimReply {
  return stripeError(409, {
    type: 'idempotency_error',
    code: 'idempotency_key_in_use',
    message:
      'There is currently another in-progress request using this Idempotent Key (that probably means you ' +
      'submitted twice, and the other request is still going through). Please try again later.',
  });
}

export function cardDeclined(code: string, declineCode: string | undefined, message: string): SimReply {
  return stripeError(402, {
    type: 'card_error',
    code,
    ...(declineCode === undefined ? {} : { decline_code: declineCode }),
    message,
  });
}
