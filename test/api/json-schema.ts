/**
 * A small JSON Schema validator for the keywords the API's schemas use, written for the tests so
 * the OpenAPI document is checked by something other than the validator that serves it. Any
 * keyword it does not know fails loudly: a schema cannot pass by being misunderstood.
 */

type Schema = { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['description', 'default', 'title', 'example', 'examples']);
const KNOWN = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'anyOf',
  'oneOf',
  '$ref',
  'minProperties',
]);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Problems of `value` against `schema` (empty when valid); `$ref`s resolve through `resolve`. */
export function validate(
  schema: Schema,
  value: unknown,
  resolve: (ref: string) => Schema,
  at = '$',
): string[] {
  const problems: string[] = [];
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword) && !ANNOTATIONS.has(keyword)) {
      throw new Error(`${at}: schema keyword "${keyword}" is not supported by the test validator`);
    }
  }
  if (typeof schema.$ref === 'string') return validate(resolve(schema.$ref), value, resolve, at);
  const fail = (message: string) => problems.push(`${at}: ${message}`);

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(value, t)))
      fail(`is ${describe(value)}, not ${types.join(' or ')}`);
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    fail(`${JSON.stringify(value)} is not in the enum`);
  if ('const' in schema && value !== schema.const)
    fail(`${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      fail(`${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      fail(`${value} > ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail('too short');
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail('too long');
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      fail(`"${value}" does not match ${schema.pattern}`);
    }
    if (
      schema.format === 'date-time' &&
      !(DATE_TIME.test(value) && Number.isFinite(Date.parse(value)))
    ) {
      fail(`"${value}" is not a date-time`);
    }
    if (schema.format === 'date' && !DATE.test(value)) fail(`"${value}" is not a date`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      fail('too few items');
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      fail('too many items');
    if (schema.items) {
      value.forEach((item, i) => {
        problems.push(...validate(schema.items as Schema, item, resolve, `${at}[${i}]`));
      });
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (!(name in object)) fail(`lacks required property "${name}"`);
    }
    if (
      typeof schema.minProperties === 'number' &&
      Object.keys(object).length < schema.minProperties
    ) {
      fail('has too few properties');
    }
    for (const [name, item] of Object.entries(object)) {
      if (properties[name])
        problems.push(...validate(properties[name], item, resolve, `${at}.${name}`));
      else if (schema.additionalProperties === false) fail(`has unexpected property "${name}"`);
      else if (typeof schema.additionalProperties === 'object') {
        problems.push(
          ...validate(schema.additionalProperties as Schema, item, resolve, `${at}.${name}`),
        );
      }
    }
  }
  if (schema.anyOf) {
    const branches = schema.anyOf as Schema[];
    if (!branches.some((b) => validate(b, value, resolve, at).length === 0))
      fail('matches no anyOf branch');
  }
  if (schema.oneOf) {
    const matching = (schema.oneOf as Schema[]).filter(
      (b) => validate(b, value, resolve, at).length === 0,
    );
    if (matching.length !== 1) fail(`matches ${matching.length} oneOf branches`);
  }
  return problems;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      throw new Error(`unknown JSON Schema type "${type}"`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
