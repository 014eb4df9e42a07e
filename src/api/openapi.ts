import type { ApiRoute, JsonSchema, ResponseSpec } from './route';
import { COMPONENTS } from './schemas';

/**
 * The OpenAPI 3.1 document of the API, generated from the route declarations: the same schemas
 * validate requests and describe them here. Every use of a named schema (schemas.ts) becomes a
 * `$ref` to its component; parameters come from the query and path schemas, one per property.
 */

export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
};

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
  security: Array<Record<string, string[]>>;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, { schema: JsonSchema; example?: unknown }>;
}

const TAGS = [
  { name: 'parcels', description: 'Parcels, and which of them are watched' },
  { name: 'series', description: 'Per-parcel time series: observations and weekly values' },
  { name: 'map', description: 'Latest values as GeoJSON for web maps' },
  { name: 'exports', description: 'CSV, Parquet and GeoJSON files of a selection, streamed' },
  { name: 'runs', description: 'Pipeline runs and their data-quality KPIs' },
  { name: 'datasets', description: 'The dataset catalog: owners, retention, quality KPIs' },
  { name: 'health', description: 'Liveness' },
];

export function openApiDocument(routes: readonly ApiRoute[], version: string): OpenApiDocument {
  const names = new Map<object, string>(Object.entries(COMPONENTS).map(([n, s]) => [s, n]));
  const convert = (value: unknown, self?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => convert(v));
    if (value === null || typeof value !== 'object') return value;
    const name = names.get(value);
    if (name !== undefined && name !== self) return { $ref: `#/components/schemas/${name}` };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
  };
  const schema = (value: JsonSchema) => convert(value) as JsonSchema;

  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const operation: Operation = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      responses: {},
      security:
        route.scope === 'public'
          ? []
          : [{ bearerAuth: [route.scope] }, { apiKeyHeader: [route.scope] }],
    };
    const parameters = [
      ...parametersOf(route.params, 'path', schema),
      ...parametersOf(route.querystring, 'query', schema),
    ];
    if (parameters.length) operation.parameters = parameters;
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schema(route.body) } },
      };
    }
    for (const [status, spec] of Object.entries(route.responses)) {
      operation.responses[status] = response(spec, schema);
    }
    Object.assign(operation.responses, errorResponses(route));
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'parcelwatch API',
      version,
      description:
        'Per-parcel Sentinel-2 vegetation-index series. Every route but health needs an API key (`parcelwatch api keys create`), sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`; keys carry the scopes `read` and/or `write`. Errors are `{ error, message, details }`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: TAGS,
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(COMPONENTS).map(([name, s]) => [name, convert(s, name) as JsonSchema]),
      ),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key as bearer token' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

function parametersOf(
  object: JsonSchema | undefined,
  where: 'path' | 'query',
  schema: (s: JsonSchema) => JsonSchema,
): Parameter[] {
  if (!object) return [];
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: schema(rest),
    };
  });
}

function response(spec: ResponseSpec, schema: (s: JsonSchema) => JsonSchema): OpenApiResponse {
  const content: NonNullable<OpenApiResponse['content']> = {};
  for (const [mediaType, body] of Object.entries(spec.content)) {
    content[mediaType] = {
      schema: schema(body.schema),
      ...(body.example === undefined ? {} : { example: body.example }),
    };
  }
  return {
    description: spec.description,
    ...(spec.headers ? { headers: spec.headers } : {}),
    content,
  };
}

const errorBody = (example: Record<string, unknown>) => ({
  'application/json': { schema: { $ref: '#/components/schemas/Error' }, example },
});

/** The error responses a route can give, from what it declares (parameters, body, scope). */
function errorResponses(route: ApiRoute): Record<string, OpenApiResponse> {
  const out: Record<string, OpenApiResponse> = {};
  if (route.params || route.querystring || route.body) {
    out['400'] = {
      description: 'Invalid parameters; `details` names each one at fault',
      content: errorBody({
        error: 'invalid_request',
        message: 'query parameter "limit" must be <= 1000',
        details: [{ in: 'query', name: 'limit', problem: 'must be <= 1000' }],
      }),
    };
  }
  if (route.scope !== 'public') {
    out['401'] = {
      description: 'No API key, or an unknown or revoked one',
      content: errorBody({ error: 'unauthorized', message: 'the API key is not valid' }),
    };
    out['403'] = {
      description: `The key lacks the \`${route.scope}\` scope`,
      content: errorBody({
        error: 'forbidden',
        message: `this route needs the "${route.scope}" scope; the key pw_3f9a1c2b7d has read`,
        details: { required: route.scope, granted: ['read'] },
      }),
    };
    out['429'] = {
      description: 'Too many requests with this key; retry after the delay given',
      headers: {
        'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } },
      },
      content: errorBody({
        error: 'rate_limited',
        message: 'too many requests with the key pw_3f9a1c2b7d; retry in 2 s',
        details: { retryAfterSeconds: 2 },
      }),
    };
  }
  if (route.params) {
    out['404'] = {
      description: 'No such item',
      content: errorBody({ error: 'not_found', message: 'no parcel 42; see GET /v1/parcels' }),
    };
  }
  if (route.body) {
    out['413'] = {
      description: 'The body is larger than the server accepts',
      content: errorBody({ error: 'payload_too_large', message: 'Request body is too large' }),
    };
  }
  out['500'] = {
    description: 'Internal error; the server log has the details',
    content: errorBody({
      error: 'internal',
      message: 'internal error; the server log has the details under request id req-1',
    }),
  };
  return out;
}
