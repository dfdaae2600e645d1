/**
 * Both simulators check requests with zod schemas. Bodies come from parseExactJson, so every JSON
 * number is already its exact text: `500` and `"500"` read alike, and a numeric field is a pattern
 * on that text, never a float. Each provider turns zod's issues into its own error.
 */

import type { z } from 'zod';
import type { ProviderError } from './errors.js';

export type Issues = readonly z.core.$ZodIssue[];

/** The parsed value, or the provider's error for the issues (`input` is reported on each). */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  refuse: (issues: Issues) => ProviderError,
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw refuse(result.error.issues);
  return result.data;
}

/** True when the issue is about a value that was not sent at all. */
export function isAbsent(issue: z.core.$ZodIssue): boolean {
  return issue.input === undefined;
}
