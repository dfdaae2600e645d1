/**
 * Mutation payload types: what a mutation returns (its objects, all nullable) plus the `userErrors`
 * every payload carries (API.md, Mutations), declared here once.
 */
import type { FieldMap } from '@pothos/core';
import { type BuilderTypes, builder } from './builder.js';
import { UserErrorRef } from './refs.js';

type PayloadFields<Fields extends FieldMap> = (
  t: PothosSchemaTypes.RootFieldBuilder<BuilderTypes, unknown, 'SimpleObject'>,
) => Fields;

/** `unchanged` finishes the userErrors description: "Why {unchanged}, if so." */
export function payloadType<Fields extends FieldMap>(
  name: string,
  options: { description: string; unchanged: string; fields: PayloadFields<Fields> },
) {
  return builder.simpleObject(name, {
    description: options.description,
    fields: (t) => ({
      ...options.fields(t),
      userErrors: t.field({ type: [UserErrorRef], description: `Why ${options.unchanged}, if so.` }),
    }),
  });
}
