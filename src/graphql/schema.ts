/**
 * The schema: every type file, the root types with their scopes, sorted for printing
 * (scripts/print-schema.ts writes schema/schema.graphql from it).
 */
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './types/scalars.js';
import './types/money.js';
import './types/node.js';
import './types/pricingPlan.js';
import './types/salesPage.js';
import './types/salesPageAuthor.js';
import './types/payment.js';
import './types/refund.js';
import './types/charge.js';
import './types/sandbox.js';
import './types/subscription.js';
import './types/transactions.js';
import './types/transactionActions.js';
import './types/operator.js';

// Type-level scopes: every Query field needs `read`, every Mutation field `write`; the refund
// mutations replace that with `refund` (src/auth/scopes.ts). Subscription: types/subscription.ts.
builder.queryType({ description: 'Read elepay and elopage objects.', authScopes: { read: true } });
builder.mutationType({
  authScopes: { write: true },
  description:
    'Create, change and refund at elepay and elopage. Every mutation validates its input before any provider call.',
});

/** The whole schema, sorted so that the printed artifact diffs cleanly. */
export const schema = lexicographicSortSchema(builder.toSchema());
