// The documents sent over sockets, parsed and validated once per text. Every
// tab of the web app sends the same subscription, and a parsed document
// (with its tokens) is most of what one subscription would otherwise hold:
// here they all hold the same one. Apollo does the same for HTTP requests.
// Only documents that pass are kept (a mistake costs its sender the work
// again), in a cache bounded by the size of their text.
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';

export type CheckedDocument =
  | {
      document: DocumentNode;
      /** The text as first received: every subscription can hold this one copy instead of its own. */
      query: string;
      errors?: undefined;
    }
  | { errors: readonly GraphQLError[] };

interface Known {
  document: DocumentNode;
  query: string;
}

/** Text of the documents kept, at most (their parsed form is some ten times this). */
const MAX_TEXT_BYTES = 2 * 1024 * 1024;
const MAX_DOCUMENTS = 1_000;

export class SocketDocuments {
  private readonly valid = new LRUCache<string, Known>({
    max: MAX_DOCUMENTS,
    maxSize: MAX_TEXT_BYTES,
    sizeCalculation: (_document, query) => Math.max(1, query.length),
  });

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
  ) {}

  /** The parsed document, or the errors it gets over HTTP for the same mistake (with the same codes). */
  check(query: string): CheckedDocument {
    const known = this.valid.get(query);
    if (known) return known;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      if (error instanceof GraphQLError)
        return { errors: [withCode(error, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)] };
      throw error;
    }
    // The same rules Apollo runs over HTTP (the standard ones plus depth and aliases); a rule's own error
    // (a limit) keeps its code, a mistake in the document gets the one it gets over HTTP.
    const errors = validate(this.schema, document, this.rules);
    if (errors.length > 0) {
      return {
        errors: errors.map((e) => (e.originalError ? e : withCode(e, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED))),
      };
    }
    const checked = { document, query };
    this.valid.set(query, checked);
    return checked;
  }

  get size(): number {
    return this.valid.size;
  }
}

/** A GraphQL error with the code Apollo gives the same mistake over HTTP. */
export function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}
