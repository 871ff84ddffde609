// Typed documents for the GraphQL operations kept in test/operations; the
// end-to-end tests import them, so a schema change that breaks a client
// breaks the typecheck. Regenerate with `npm run generate:client`.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string', ID: 'string' },
        enumType: 'string-literal',
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false },
        nonOptionalTypename: false,
        skipTypename: true,
      },
    },
  },
  hooks: {},
};

export default config;
