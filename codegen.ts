import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the operations the tests send, generated from the printed schema. */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  // Test files that embed SDL of other subgraphs (test/federation) hold no operations of this schema.
  documents: ['test/**/*.ts', '!test/__generated__/**', '!test/federation/**'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/__generated__/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        importExtension: '.js',
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { Date: 'string', DateTime: 'string', URL: 'string', JSONObject: 'Record<string, unknown>' },
      },
    },
  },
};

export default config;
