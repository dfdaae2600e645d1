/**
 * Relay connections over lists the ledger answers (`transactions`, `webhookDeliveries`): newest
 * first, forward paging with `first`/`after`, and a `totalCount`. The cursor is a position in the
 * list (a time and the row's number), opaque to clients; the ledger pages by it with a keyset.
 */
import type { ArgBuilder, ObjectRef } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { type BuilderTypes, builder } from './builder.js';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

/** Where an item sits in a list: its time, then its number among items of the same time. */
export interface ListCursor {
  at: Date;
  number: number;
}

export interface Page<Edge extends { cursor: string }> {
  edges: Edge[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: number;
}

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

export function encodeListCursor({ at, number }: ListCursor): string {
  return Buffer.from(`${at.getTime()}:${number}`, 'utf8').toString('base64url');
}

/** The position an `after` names; BAD_USER_INPUT when it is not a cursor of such a list. */
export function decodeListCursor(cursor: string): ListCursor {
  const match =
    cursor.length <= 64
      ? /^(\d{1,15}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
      : null;
  if (!match) throw badInput('Argument "after" is not a cursor of this list');
  return { at: new Date(Number(match[1])), number: Number(match[2]) };
}

/** How many items a page holds: `first`, at most MAX_PAGE; BAD_USER_INPUT when negative. */
export function pageSizeOf(first: number | null | undefined): number {
  if (first != null && first < 0) throw badInput('Argument "first" must be a non-negative integer');
  return Math.min(first ?? DEFAULT_PAGE, MAX_PAGE);
}

/** A page of `edges` that started after `after` (null: at the top of the list). */
export function pageOf<Edge extends { cursor: string }>(
  edges: Edge[],
  { after, hasNextPage, totalCount }: { after: ListCursor | null; hasNextPage: boolean; totalCount: number },
): Page<Edge> {
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

/** The arguments every ledger list takes besides its filter. */
export function pageArgs(arg: ArgBuilder<BuilderTypes>) {
  return {
    first: arg.int({
      description: `Return the first n items (default ${DEFAULT_PAGE}, at most ${MAX_PAGE}).`,
    }),
    after: arg.string({ description: 'Start after this cursor (`pageInfo.endCursor`).' }),
  };
}

/** The connection type `name` of `edge`s; `items` names them in the descriptions ("transactions"). */
export function pageType<Edge extends { cursor: string }>(
  name: string,
  edge: ObjectRef<BuilderTypes, Edge>,
  items: string,
) {
  return builder.objectRef<Page<Edge>>(name).implement({
    description: `A page of ${items}, newest first.`,
    fields: (t) => ({
      edges: t.field({
        type: [edge],
        description: 'The items of this page, each with its cursor.',
        resolve: (page) => page.edges,
      }),
      pageInfo: t.field({
        type: builder.pageInfoRef(),
        description: 'Paging information.',
        resolve: (page) => page.pageInfo,
      }),
      totalCount: t.exposeInt('totalCount', { description: `How many ${items} match the filter in all.` }),
    }),
  });
}
