// Typed documents for the GraphQL operations kept in .graphql files: the
// end-to-end tests' (test/operations) and the web app's (web/src/graphql).
// A schema change that breaks either client breaks the typecheck.
// Regenerate with `npm run generate:client`.
import type { CodegenConfig } from '@graphql-codegen/cli';

// Both clients get the same shapes: plain string enums, no __typename in the
// types (urql's cache adds it to what it sends), ID and DateTime as strings.
const typedDocuments = {
  plugins: ['typescript-operations', 'typed-document-node'],
  config: {
    scalars: { DateTime: 'string', ID: 'string' },
    enumType: 'string-literal',
    useTypeImports: true,
    avoidOptionals: { field: true, inputValue: false },
    nonOptionalTypename: false,
    skipTypename: true,
  },
};

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    'test/generated/graphql.ts': { documents: ['test/operations/**/*.graphql'], ...typedDocuments },
    'web/src/generated/graphql.ts': { documents: ['web/src/graphql/**/*.graphql'], ...typedDocuments },
  },
  hooks: {},
};

export default config;
