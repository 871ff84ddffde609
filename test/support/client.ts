// A small GraphQL-over-HTTP client for the end-to-end tests, typed by the
// documents that codegen generates from test/operations.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<R> {
  status: number;
  data?: R | null;
  errors?: GraphQLErrorBody[];
}

export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  as(token: string | undefined): GraphQLClient {
    return new GraphQLClient(this.url, token);
  }

  async request<R, V>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables?: V,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<R>> {
    const query = typeof document === 'string' ? document : print(document);
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: R | null; errors?: GraphQLErrorBody[] };
    return { status: response.status, ...body };
  }

  /** The data of a request that must succeed; throws with the errors otherwise. */
  async ok<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R> {
    const result = await this.request(document, variables);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL request failed: ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }
}

/** The codes of a response's errors, e.g. ['NOT_FOUND']. */
export function codes(result: GraphQLResponse<unknown>): (string | undefined)[] {
  return (result.errors ?? []).map((e) => e.extensions?.code);
}
