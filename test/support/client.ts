import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { request } from 'undici';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; provider?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T> {
  status: number;
  data: T | null;
  errors: GraphQLErrorShape[];
  /** The raw response body, for secret searches. */
  text: string;
}

/** Executes a typed document against a running gateway over HTTP, as a frontend would. */
export async function execute<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  options: { headers?: Record<string, string>; onBody?: (text: string) => void } = {},
): Promise<GraphQLResponse<T>> {
  const response = await request(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...options.headers,
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const text = await response.body.text();
  options.onBody?.(text);
  const body = JSON.parse(text) as { data?: T | null; errors?: GraphQLErrorShape[] };
  return { status: response.statusCode, data: body.data ?? null, errors: body.errors ?? [], text };
}
