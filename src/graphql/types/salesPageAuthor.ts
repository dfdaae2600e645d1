/**
 * A co-author of an elopage sales page: the `SalesPageAuthor` object and the input that connects one
 * (part of createSalesPage and updateSalesPage, types/salesPage.ts).
 */
import { z } from 'zod';
import { builder } from '../builder.js';
import { SalesPageAuthorRef } from '../refs.js';

SalesPageAuthorRef.implement({
  description: 'A co-author connected to a sales page.',
  fields: (t) => ({
    authorId: t.exposeID('authorId', { description: "elopage's ID of the author (a team member)." }),
    customCommissionEnabled: t.exposeBoolean('customCommissionEnabled', {
      description: "Whether `commission` overrides the author's general commission.",
    }),
    commission: t.expose('commission', {
      type: 'Decimal',
      nullable: true,
      description: 'Commission in percent.',
    }),
  }),
});

export const SalesPageAuthorInput = builder.inputType('SalesPageAuthorInput', {
  description: 'A co-author to connect to the sales page.',
  fields: (t) => ({
    authorId: t.id({
      required: true,
      description: "elopage's ID of the author (Team Members in the dashboard).",
    }),
    customCommissionEnabled: t.boolean({
      description: "Override the author's general commission with `commission`.",
    }),
    commission: t.field({ type: 'Decimal', description: 'Commission in whole percent (0–100).' }),
  }),
});

/** Validation of one author input. */
export const salesPageAuthorSchema = z.object({
  authorId: z.string().regex(/^\d{1,18}$/, { message: 'must be an elopage author ID (digits)' }),
  commission: z
    .string()
    .regex(/^(100|\d{1,2})$/, { message: 'must be a whole percentage from 0 to 100' })
    .nullish(),
});
