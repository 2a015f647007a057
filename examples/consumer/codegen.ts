import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * A client team's codegen: typed documents from the API's published schema, and the persisted-documents
 * manifest (src/gql/persisted-documents.json) the server loads with TRUSTED_DOCUMENTS.
 * Paths are relative to the repository root (`npm run codegen` runs there).
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['examples/consumer/src/**/*.ts', '!examples/consumer/src/gql/**'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'examples/consumer/src/gql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // Writes persisted-documents.json ({ "sha256:<hex>": "<document>" }) and puts each document's id in
        // its `__meta__.hash`; the documents' text stays out of the client's code.
        persistedDocuments: { mode: 'replaceDocumentWithHash' },
      },
      config: {
        importExtension: '.js',
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        // What the wire carries: Date "2026-10-01", DateTime "2026-10-01T12:00:00.000Z", URL "https://…",
        // JSONObject a JSON object.
        scalars: { Date: 'string', DateTime: 'string', URL: 'string', JSONObject: 'Record<string, unknown>' },
      },
    },
  },
};

export default config;
