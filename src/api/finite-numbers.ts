import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { invalidParameter, type ParameterLocation } from './errors';

/**
 * Refuses ±Infinity and NaN wherever validation let them through. Ajv's type coercion turns the
 * query text `1e309` into Infinity *after* its integer, minimum and maximum checks, so
 * `?limit=1e309` arrived in handlers as an unbounded limit (and reached SQL as "Infinity").
 * Runs after validation, before every handler.
 */
export const rejectNonFiniteNumbers: preHandlerAsyncHookHandler = async (
  request: FastifyRequest,
) => {
  const parts: Array<[ParameterLocation, unknown]> = [
    ['query', request.query],
    ['path', request.params],
    ['body', request.body],
  ];
  for (const [where, value] of parts) {
    const name = nonFiniteAt(value, '');
    if (name !== undefined) {
      throw invalidParameter(where, name || where, 'is not a finite number');
    }
  }
};

/** Dotted path of the first non-finite number inside `value` ('' for `value` itself). */
function nonFiniteAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nonFiniteAt(item, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}
