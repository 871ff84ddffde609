// One guard for every string a client sends, in the document or in its
// variables, whichever field it is for: PostgreSQL refuses a NUL in text
// outright, so a NUL that reached the database would become an internal
// error. It is the client's mistake, refused before anything runs.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import { BadInputError } from '../errors.js';

const NUL = '\u0000';

/** A GraphQLError carrying BAD_USER_INPUT (a 400 over HTTP), or null when every string is clean. */
export function nulCharacterError(document: DocumentNode, variables: unknown): GraphQLError | null {
  const where = nulInVariables(variables, 'variables') ?? nulInDocument(document);
  if (where === null) return null;
  const original = new BadInputError('Strings must not contain NUL characters', where);
  return new GraphQLError(original.message, {
    originalError: original,
    extensions: { code: original.code, field: where, http: { status: 400 } },
  });
}

// Apollo hands the same parsed document to every request that sends the same text: one walk each.
const documentsChecked = new WeakMap<DocumentNode, string | null>();

function nulInDocument(document: DocumentNode): string | null {
  const known = documentsChecked.get(document);
  if (known !== undefined) return known;
  const found = walkForNul(document);
  documentsChecked.set(document, found);
  return found;
}

function walkForNul(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    [Kind.STRING](node) {
      if (found === null && node.value.includes(NUL)) found = `line ${node.loc?.startToken.line ?? '?'}`;
    },
  });
  return found;
}

function nulInVariables(value: unknown, path: string, depth = 0): string | null {
  if (depth > 64) return null; // the cost limits refuse what is this deep anyway
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulInVariables(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, entry] of Object.entries(value)) {
      const found = nulInVariables(entry, `${path}.${key}`, depth + 1) ?? (key.includes(NUL) ? path : null);
      if (found) return found;
    }
  }
  return null;
}

/** The guard on the HTTP path, before anything runs (the websocket calls nulCharacterError itself). */
export function inputGuardPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const error = nulCharacterError(document, request.variables);
          if (error) throw error;
        },
      };
    },
  };
}
