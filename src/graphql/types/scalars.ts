/** The custom scalars: `Decimal`, `DateTime`, `Date` and `JSONObject`. */
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { builder } from '../builder.js';

/**
 * `Decimal` is a string on the wire in both directions, so no client ever routes money through a
 * float. Parsing accepts any string: whether it is a valid amount is a rule of the mutation that
 * receives it and is reported as a `userError` with the field's path (API.md, Money).
 */
builder.scalarType('Decimal', {
  description:
    'An exact decimal number as a string, e.g. "199.90", "1000" or "19.385". Never a float: amounts keep every digit the provider sent and at least the currency\'s minor-unit digits.',
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value !== 'string')
      throw new GraphQLError('Decimal must be a string such as "12.50", not a JSON number');
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING)
      throw new GraphQLError('Decimal must be a string such as "12.50", not a number literal');
    return ast.value;
  },
});

builder.scalarType('DateTime', {
  description: 'An instant in ISO-8601, always UTC, e.g. "2017-12-11T15:47:00Z".',
  serialize: (value) => value.toISOString().replace('.000Z', 'Z'),
  parseValue: (value) => parseDateTime(value),
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError('DateTime must be an ISO-8601 string such as "2024-05-01T00:00:00Z"');
  }
  return date;
}

builder.scalarType('Date', {
  description: 'A calendar date in ISO-8601, e.g. "2017-12-11".',
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      throw new GraphQLError('Date must be a string such as "2017-12-11"');
    }
    return value;
  },
});

builder.scalarType('JSONObject', {
  description: 'A JSON object (string keys). Used for provider metadata.',
  serialize: (value) => value,
  parseValue: (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new GraphQLError('JSONObject must be an object');
    }
    return value as Record<string, unknown>;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.OBJECT) throw new GraphQLError('JSONObject must be an object');
    return literalObject(ast);
  },
});

function literalValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return ast.value;
    case Kind.BOOLEAN:
      return ast.value;
    // Numbers stay numbers, as they would in variables, so the same rules apply to both
    // (elepay metadata, the only JSONObject input, takes strings and refuses them).
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalValue);
    case Kind.OBJECT:
      return literalObject(ast);
    default:
      throw new GraphQLError('JSONObject cannot hold variables inside a literal');
  }
}

function literalObject(ast: ValueNode & { kind: Kind.OBJECT }): Record<string, unknown> {
  return Object.fromEntries(ast.fields.map((field) => [field.name.value, literalValue(field.value)]));
}
