import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteScope } from './auth';

/**
 * A route of the API as one declaration: what Fastify needs (method, URL, validation schemas,
 * handler, scope) and what the OpenAPI document says about it (summary, responses with their
 * media types, schemas and examples), so the document is generated from the very schemas that
 * validate requests.
 */

/** A JSON Schema (the subset common to draft 2020-12, which OpenAPI 3.1 uses, and Ajv's draft-07). */
export type JsonSchema = { [keyword: string]: unknown };

export interface ResponseContent {
  schema: JsonSchema;
  /** An example body; the test suite checks it against the schema. */
  example?: unknown;
  /** Binary or text bodies described by their media type only (CSV, Parquet). */
  binary?: boolean;
}

export interface ResponseSpec {
  description: string;
  /** Media type → body. `application/json` bodies are also serialised through their schema. */
  content: Record<string, ResponseContent>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  /** Fastify form, e.g. `/v1/parcels/:id`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  scope: RouteScope;
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  /** Success responses by status. Error responses (400, 401, …) are added by the document. */
  responses: Record<number, ResponseSpec>;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/** An object schema of query or body fields: unknown fields are refused (400 naming them). */
export function fields(
  properties: Record<string, JsonSchema>,
  extra: { required?: string[]; minProperties?: number } = {},
): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, ...extra };
}
