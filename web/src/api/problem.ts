import type { FieldProblem } from '../../../src/kernel/errors.js';

export type { FieldProblem };

/**
 * A refused or failed API call, from the server's application/problem+json answer (`detail`, `code`,
 * `errors` naming each wrong field), or from the network when the server could not be reached.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  /** The message for one field (`conditions.key`), when the server named it. */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

interface ProblemBody {
  detail?: unknown;
  title?: unknown;
  code?: unknown;
  errors?: unknown;
}

const isFieldProblem = (v: unknown): v is FieldProblem =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as FieldProblem).field === 'string' &&
  typeof (v as FieldProblem).message === 'string';

/** Turns an error answer into an ApiError, whatever its body (problem+json, other JSON, text, nothing). */
export function problemFrom(status: number, statusText: string, bodyText: string): ApiError {
  let body: ProblemBody | null = null;
  try {
    body = bodyText ? (JSON.parse(bodyText) as ProblemBody) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === 'object') {
    const detail =
      typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : statusText;
    const code = typeof body.code === 'string' ? body.code : `HTTP_${status}`;
    const errors = Array.isArray(body.errors) ? body.errors.filter(isFieldProblem) : [];
    return new ApiError(status, code, detail || `HTTP ${status}`, errors);
  }
  return new ApiError(status, `HTTP_${status}`, bodyText.trim().slice(0, 300) || statusText || `HTTP ${status}`);
}

/** A readable sentence for anything a call may throw. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
