/**
 * The schema builder and nothing else: plugins, scalar shapes, the context type. Types live in
 * ./types, one file per domain type. Fields are non-null unless a field says otherwise.
 * The relay plugin provides connections; `Node` and its lookups are ours (types/node.ts) because
 * global IDs carry the provider and, for elepay refunds, the charge (domain/ids.ts).
 */
import SchemaBuilder, { type SchemaTypes } from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import SimpleObjectsPlugin from '@pothos/plugin-simple-objects';
import { forbiddenError, scopesOf } from '../auth/scopes.js';
import type { Scope } from '../config.js';
import type { Context } from '../context.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  /** The API client scopes (src/auth/scopes.ts has the rules). */
  AuthScopes: Record<Scope, boolean>;
  Scalars: {
    ID: { Input: string; Output: string };
    Decimal: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    Date: { Input: string; Output: string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  // Scope auth first, so that no other plugin's wrapper runs for a field the caller may not use.
  plugins: [ScopeAuthPlugin, RelayPlugin, SimpleObjectsPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: scopesOf,
    // Checked when a subscription starts, not first when an event arrives: a client without
    // `read` is refused at once instead of holding a stream that only ever yields errors.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, _ctx, info, result) => forbiddenError(info, result.failure),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // Descriptions for what the plugin generates: GraphiQL users read every one.
    pageInfoTypeOptions: { description: 'Where a page of a connection sits in the whole list (Relay).' },
    hasNextPageFieldOptions: { description: 'True when more items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'True when items precede this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first item on this page.' },
    endCursorFieldOptions: {
      description: 'Cursor of the last item on this page; pass it as `after` for the next page.',
    },
    edgesFieldOptions: { description: 'The items of this page, each with its cursor.' },
    pageInfoFieldOptions: { description: 'Paging information.' },
    cursorFieldOptions: { description: 'Opaque cursor of this item.' },
    nodeFieldOptions: { description: 'The item.' },
    firstArgOptions: { description: 'Return the first n items (at most 100).' },
    afterArgOptions: { description: 'Start after this cursor.' },
    lastArgOptions: { description: 'Return the last n items.' },
    beforeArgOptions: { description: 'End before this cursor.' },
  },
});

/** The builder's resolved type parameters, for field helpers shared across type files. */
export type BuilderTypes =
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;
