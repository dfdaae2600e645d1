import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import SimpleObjectsPlugin from '@pothos/plugin-simple-objects';
import type { Context } from '../context.js';

/**
 * The schema builder and nothing else: plugins, scalar shapes, the context type. Types live in
 * ./types, one file per domain type. Fields are non-null unless a field says otherwise.
 * The relay plugin provides connections; `Node` and its lookups are ours (types/node.ts) because
 * global IDs carry the provider and, for elepay refunds, the charge (domain/ids.ts).
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    Decimal: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    Date: { Input: string; Output: string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  plugins: [RelayPlugin, SimpleObjectsPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});
