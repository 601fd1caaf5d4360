import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FieldlineError, type FieldProblem } from '../kernel/index.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldProblem[];
}

const PROBLEM_BASE = 'https://fieldline.dev/problems/';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Names the field an Ajv error is about, as a path from the part's root (`body/conditions/key`). */
function fieldOf(part: string, e: AjvError): FieldProblem {
  const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const join = (leaf: unknown) => [base, String(leaf)].filter(Boolean).join('.');
  switch (e.keyword) {
    case 'additionalProperties':
      return { field: join(e.params.additionalProperty), message: 'is not a known field' };
    case 'required':
      return { field: join(e.params.missingProperty), message: 'is required' };
    default:
      return { field: base || part, message: e.message ?? e.keyword };
  }
}

/** Turns anything thrown by a route or by Fastify into an RFC 9457 problem with a catalogue code. */
export function toProblem(err: unknown): { problem: Problem; retryAfter?: number } {
  if (err instanceof FieldlineError) {
    return {
      problem: {
        type: PROBLEM_BASE + err.code.replace('FIELDLINE_ERR_', '').toLowerCase(),
        title: err.title,
        status: err.status,
        detail: err.message,
        code: err.code,
        ...(err.errors ? { errors: err.errors } : {}),
      },
      ...(err.retryAfter === undefined ? {} : { retryAfter: err.retryAfter }),
    };
  }
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const part = fe.validationContext ?? 'body';
    const errors = fe.validation.map((e) => fieldOf(part, e));
    const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    return toProblem(new FieldlineError('FIELDLINE_ERR_VALIDATION', `Invalid ${part}: ${detail}`, { errors }));
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return toProblem(
        new FieldlineError('FIELDLINE_ERR_PAYLOAD_TOO_LARGE', 'The request body is larger than allowed'),
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return toProblem(new FieldlineError('FIELDLINE_ERR_UNSUPPORTED_MEDIA_TYPE', fe.message));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return toProblem(new FieldlineError('FIELDLINE_ERR_MALFORMED_JSON', 'The JSON body is empty'));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return toProblem(new FieldlineError('FIELDLINE_ERR_VALIDATION', fe.message));
  }
  if (fe instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return toProblem(new FieldlineError('FIELDLINE_ERR_MALFORMED_JSON', `The body is not valid JSON: ${fe.message}`));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      problem: {
        type: `${PROBLEM_BASE}client-error`,
        title: 'Invalid request',
        status: fe.statusCode,
        detail: fe.message,
        code: 'FIELDLINE_ERR_VALIDATION',
      },
    };
  }
  return toProblem(new FieldlineError('FIELDLINE_ERR_INTERNAL', 'An internal error occurred; it has been logged'));
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const { problem, retryAfter } = toProblem(err);
  if (problem.status >= 500) request.log.error({ err }, 'request failed');
  else request.log.info({ code: problem.code, detail: problem.detail }, 'request refused');
  if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
  return reply
    .status(problem.status)
    .type('application/problem+json')
    .send({ ...problem, instance: request.url.split('?')[0] });
}
