import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BadInputError, TransientError } from '../core/errors';

/**
 * Every error leaves the API as `{ error, message, details }`: `error` a stable code, `message` a
 * sentence saying what is wrong and what to do, `details` the parameters at fault
 * (`[{ in, name, problem }]`) or other facts. Internal errors say only where to look (the log, by
 * request id): their text could hold SQL or paths.
 */

export type ParameterLocation = 'query' | 'path' | 'body' | 'header';

export interface ParameterProblem {
  in: ParameterLocation;
  name: string;
  problem: string;
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: ParameterProblem[] | Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorBody['details'],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 naming the parameter at fault. */
export function invalidParameter(
  where: ParameterLocation,
  name: string,
  problem: string,
): ApiError {
  return new ApiError(400, 'invalid_request', `${LOCATION_LABEL[where]} "${name}" ${problem}`, [
    { in: where, name, problem },
  ]);
}

/**
 * Runs a parser of one parameter (which throws BadInputError with a full sentence) and turns its
 * failure into a 400 naming the parameter.
 */
export function parseParameter<T>(where: ParameterLocation, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof BadInputError) {
      throw new ApiError(400, 'invalid_request', error.message, [
        { in: where, name, problem: error.message },
      ]);
    }
    throw error;
  }
}

export function notFound(message: string): ApiError {
  return new ApiError(404, 'not_found', message);
}

const LOCATION_LABEL: Record<ParameterLocation, string> = {
  query: 'query parameter',
  path: 'path parameter',
  body: 'body field',
  header: 'header',
};

const CONTEXT_LOCATION: Record<string, ParameterLocation> = {
  querystring: 'query',
  params: 'path',
  body: 'body',
  headers: 'header',
};

/** Fastify's own 4xx (body parsing) → our codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
};

interface AjvProblem {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The error handler of the server: maps every failure to the error body and a status. */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { status, body, headers } = describe(error, request);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body);
}

function describe(
  error: FastifyError,
  request: FastifyRequest,
): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (error instanceof ApiError) {
    const body: ErrorBody = { error: error.code, message: error.message };
    if (error.details !== undefined) body.details = error.details;
    return { status: error.statusCode, body, headers: error.headers };
  }
  if (error.validation) {
    const where = CONTEXT_LOCATION[error.validationContext ?? ''] ?? 'query';
    const details = (error.validation as AjvProblem[]).map((p) => problemOf(where, p));
    const message = details.map((d) => `${LOCATION_LABEL[d.in]} "${d.name}" ${d.problem}`);
    return {
      status: 400,
      body: { error: 'invalid_request', message: `${message.join('; ')}`, details },
      headers: {},
    };
  }
  if (error instanceof BadInputError) {
    return { status: 400, body: { error: 'invalid_request', message: error.message }, headers: {} };
  }
  if (error instanceof TransientError || databaseUnavailable(error)) {
    return {
      status: 503,
      body: {
        error: 'unavailable',
        message: 'the database does not answer; retry in a moment',
      },
      headers: { 'retry-after': '5' },
    };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return {
      status,
      body: {
        error: FASTIFY_CODES[error.code] ?? 'invalid_request',
        message: fastifyMessage(error, request),
      },
      headers: {},
    };
  }
  return {
    status: 500,
    body: {
      error: 'internal',
      message: `internal error; the server log has the details under request id ${request.id}`,
    },
    headers: {},
  };
}

/** Fastify's terse texts for the body problems, said with the limit or type at fault. */
function fastifyMessage(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is larger than the ${request.routeOptions.bodyLimit ?? 'configured'} bytes this server accepts (PARCELWATCH_API_BODY_LIMIT); send less per request, e.g. fewer ids`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `a body of type ${JSON.stringify(request.headers['content-type'] ?? 'none')} is not accepted; send JSON with Content-Type: application/json`;
    default:
      return error.message;
  }
}

/** Network failures and PostgreSQL's "shutting down / starting up / too many connections". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P03',
  '53300',
]);

function databaseUnavailable(error: FastifyError): boolean {
  return (
    UNAVAILABLE_CODES.has(error.code) ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(error.message)
  );
}

function problemOf(where: ParameterLocation, p: AjvProblem): ParameterProblem {
  const path = p.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (p.keyword === 'additionalProperties') {
    const name = [path, String(p.params.additionalProperty)].filter(Boolean).join('.');
    return {
      in: where,
      name,
      problem:
        where === 'body' ? 'is not a field of this request' : 'is not a parameter of this route',
    };
  }
  if (p.keyword === 'required') {
    const name = [path, String(p.params.missingProperty)].filter(Boolean).join('.');
    return { in: where, name, problem: 'is required' };
  }
  if (p.keyword === 'enum') {
    const allowed = (p.params.allowedValues as unknown[] | undefined)?.join(', ');
    return { in: where, name: path || where, problem: `must be one of ${allowed}` };
  }
  return { in: where, name: path || where, problem: p.message ?? p.keyword };
}
