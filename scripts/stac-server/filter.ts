import type { StacItem } from './catalog';

/**
 * Property filters of STAC item search: the Query extension (`{"eo:cloud_cover": {"lt": 20}}`)
 * and CQL2-JSON (`{"op": "<=", "args": [{"property": "eo:cloud_cover"}, 20]}`), both turned into
 * predicates over items. Unknown operators are rejected so a client never silently gets
 * unfiltered results.
 */
export class FilterError extends Error {}

export type ItemPredicate = (item: StacItem) => boolean;

type Comparable = string | number | boolean | null | undefined;

function property(item: StacItem, name: string): Comparable {
  if (name === 'id') return item.id;
  if (name === 'collection') return item.collection;
  const value = item.properties[name];
  return typeof value === 'object' && value !== null ? undefined : (value as Comparable);
}

function sameType(a: Comparable, b: Comparable): boolean {
  return a !== null && a !== undefined && typeof a === typeof b;
}

const COMPARISONS: Record<string, (a: Comparable, b: Comparable) => boolean> = {
  '=': (a, b) => sameType(a, b) && a === b,
  '<>': (a, b) => sameType(a, b) && a !== b,
  '<': (a, b) => sameType(a, b) && (a as number) < (b as number),
  '<=': (a, b) => sameType(a, b) && (a as number) <= (b as number),
  '>': (a, b) => sameType(a, b) && (a as number) > (b as number),
  '>=': (a, b) => sameType(a, b) && (a as number) >= (b as number),
};

/** Query extension operators, mapped onto the CQL2 comparisons. */
const QUERY_OPERATORS: Record<string, string> = {
  eq: '=',
  neq: '<>',
  lt: '<',
  lte: '<=',
  gt: '>',
  gte: '>=',
};

export function queryPredicate(query: unknown): ItemPredicate {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) {
    throw new FilterError('query must be an object of {property: {operator: value}}');
  }
  const tests: ItemPredicate[] = [];
  for (const [name, conditions] of Object.entries(query)) {
    if (typeof conditions !== 'object' || conditions === null) {
      throw new FilterError(`query.${name} must be an object of {operator: value}`);
    }
    for (const [op, value] of Object.entries(conditions as Record<string, unknown>)) {
      if (op === 'in') {
        if (!Array.isArray(value)) throw new FilterError(`query.${name}.in must be a list`);
        tests.push((item) =>
          value.some((v) => COMPARISONS['='](property(item, name), v as Comparable)),
        );
      } else if (QUERY_OPERATORS[op]) {
        const compare = COMPARISONS[QUERY_OPERATORS[op]];
        tests.push((item) => compare(property(item, name), value as Comparable));
      } else {
        throw new FilterError(
          `query operator "${op}" is not supported (use eq, neq, lt, lte, gt, gte, in)`,
        );
      }
    }
  }
  return (item) => tests.every((test) => test(item));
}

type Operand = (item: StacItem) => Comparable;

function operand(arg: unknown): Operand {
  if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
    const { property: name } = arg as { property?: unknown };
    if (typeof name !== 'string')
      throw new FilterError(
        `CQL2 operand ${JSON.stringify(arg)} is neither a property nor a literal`,
      );
    return (item) => property(item, name);
  }
  if (arg === null || ['string', 'number', 'boolean'].includes(typeof arg))
    return () => arg as Comparable;
  throw new FilterError(`CQL2 operand ${JSON.stringify(arg)} is not supported`);
}

export function cql2Predicate(expression: unknown): ItemPredicate {
  if (typeof expression === 'boolean') return () => expression;
  if (typeof expression !== 'object' || expression === null) {
    throw new FilterError(
      `CQL2 expression ${JSON.stringify(expression)} must be an object with op and args`,
    );
  }
  const { op, args } = expression as { op?: unknown; args?: unknown };
  if (typeof op !== 'string' || !Array.isArray(args)) {
    throw new FilterError(`CQL2 expression ${JSON.stringify(expression)} must have op and args`);
  }
  switch (op) {
    case 'and':
    case 'or': {
      const parts = args.map(cql2Predicate);
      return op === 'and'
        ? (item) => parts.every((p) => p(item))
        : (item) => parts.some((p) => p(item));
    }
    case 'not': {
      const inner = cql2Predicate(args[0]);
      return (item) => !inner(item);
    }
    case 'in': {
      const [left, list] = args;
      if (!Array.isArray(list))
        throw new FilterError('CQL2 "in" needs a list as its second argument');
      const value = operand(left);
      return (item) => list.some((v) => COMPARISONS['='](value(item), v as Comparable));
    }
    case 'isNull': {
      const value = operand(args[0]);
      return (item) => value(item) === null || value(item) === undefined;
    }
    default: {
      const compare = COMPARISONS[op];
      if (!compare || args.length !== 2) {
        throw new FilterError(
          `CQL2 operator "${op}" is not supported (use =, <>, <, <=, >, >=, in, isNull, and, or, not)`,
        );
      }
      const [left, right] = args.map(operand);
      return (item) => compare(left(item), right(item));
    }
  }
}
