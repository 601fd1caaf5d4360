/**
 * The one catalogue of coded errors. Every error a client can see has a code here, an HTTP status and a
 * title; HTTP answers render them as application/problem+json (RFC 9457).
 */
export const ERROR_CATALOGUE = {
  FIELDLINE_ERR_VALIDATION: { status: 400, title: 'Invalid request' },
  FIELDLINE_ERR_MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  FIELDLINE_ERR_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FIELDLINE_ERR_INVALID_CREDENTIALS: { status: 401, title: 'Invalid credentials' },
  FIELDLINE_ERR_TOKEN_EXPIRED: { status: 401, title: 'Token expired' },
  FIELDLINE_ERR_FORBIDDEN: { status: 403, title: 'Forbidden' },
  FIELDLINE_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  FIELDLINE_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  FIELDLINE_ERR_NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  FIELDLINE_ERR_CONFLICT: { status: 409, title: 'Conflict' },
  FIELDLINE_ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  FIELDLINE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  FIELDLINE_ERR_UNPROCESSABLE: { status: 422, title: 'Unprocessable request' },
  FIELDLINE_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  FIELDLINE_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  FIELDLINE_ERR_BAD_GATEWAY: { status: 502, title: 'Upstream failure' },
  FIELDLINE_ERR_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  FIELDLINE_ERR_TIMEOUT: { status: 504, title: 'Upstream timeout' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** A problem with one field of an input, named by its JSON pointer-ish path (`/conditions/key`). */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface FieldlineErrorOptions {
  errors?: FieldProblem[];
  /** Seconds, for 429 and 503 answers. */
  retryAfter?: number;
  cause?: unknown;
}

export class FieldlineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldProblem[] | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, detail?: string, options: FieldlineErrorOptions = {}) {
    const entry = ERROR_CATALOGUE[code];
    super(detail ?? entry.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FieldlineError';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
  }
}

export const notFound = (what: string, id?: string): FieldlineError =>
  new FieldlineError('FIELDLINE_ERR_NOT_FOUND', id === undefined ? `${what} not found` : `${what} '${id}' not found`);

export const invalid = (field: string, message: string): FieldlineError =>
  new FieldlineError('FIELDLINE_ERR_VALIDATION', `${field}: ${message}`, { errors: [{ field, message }] });

export const conflict = (detail: string): FieldlineError => new FieldlineError('FIELDLINE_ERR_CONFLICT', detail);

export const forbidden = (detail: string): FieldlineError => new FieldlineError('FIELDLINE_ERR_FORBIDDEN', detail);
