import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, type GraphQLSchema, parse, validate } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConfigError, SETTINGS } from '../config.js';
import { ErrorCode } from '../domain/errors.js';

/** documentId -> document text, every document parsed and valid against the schema. */
export type TrustedDocuments = ReadonlyMap<string, string>;

const Manifest = z.record(z.string().min(1), z.string().min(1));
const SHA256_ID = /^sha256:([0-9a-f]{64})$/;

/**
 * Reads a persisted-documents manifest (`{ "<documentId>": "<document>" }`, as codegen's client preset writes
 * `persisted-documents.json`) and checks every entry: it parses, it is valid against `schema`, and an id of the
 * form `sha256:<hex>` is the SHA-256 of its document. Any fault is a ConfigError naming TRUSTED_DOCUMENTS.
 */
export function loadTrustedDocuments(path: string, schema: GraphQLSchema): TrustedDocuments {
  const fail = (reason: string) =>
    new ConfigError(`TRUSTED_DOCUMENTS: ${reason} (got ${JSON.stringify(path)}). TRUSTED_DOCUMENTS: ${SETTINGS.TRUSTED_DOCUMENTS.help}.`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fail(`cannot read the manifest (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fail('the manifest is not JSON');
  }
  const manifest = Manifest.safeParse(json);
  if (!manifest.success) throw fail('the manifest must be a JSON object of documentId to document text');
  const entries = Object.entries(manifest.data);
  if (entries.length === 0) throw fail('the manifest holds no documents');

  const documents = new Map<string, string>();
  for (const [id, source] of entries) {
    const hash = SHA256_ID.exec(id)?.[1];
    if (id.startsWith('sha256:') && hash !== createHash('sha256').update(source).digest('hex')) {
      throw fail(`document ${id} is not the SHA-256 of its text`);
    }
    let errors: readonly GraphQLError[];
    try {
      errors = validate(schema, parse(source));
    } catch (error) {
      throw fail(`document ${id} does not parse: ${sentence((error as Error).message)}`);
    }
    if (errors.length > 0) throw fail(`document ${id} is not valid against the schema: ${sentence(errors[0]!.message)}`);
    documents.set(id, source);
  }
  return documents;
}

/** graphql-js's message without its final period, to sit inside ours. */
const sentence = (message: string) => message.replace(/\.$/, '');

/** The documentId of a request: `documentId` in a JSON body, or in the URL of a GET request. */
export function documentIdOf(params: GraphQLParams, request: Request): unknown {
  const inBody = (params as { documentId?: unknown }).documentId;
  if (inBody != null) return inBody;
  if (request.method !== 'GET') return undefined;
  return new URL(request.url, 'http://localhost').searchParams.get('documentId') || undefined;
}

/**
 * A refused request is a request error, answered as Yoga answers its own (a missing query string): HTTP 400
 * under `application/graphql-response+json`, 200 under the legacy `application/json`.
 */
const refusedRequest = (code: ErrorCode, message: string) =>
  new GraphQLError(message, { extensions: { code, http: { spec: true, status: 400 } } });
const refusal = (code: ErrorCode, message: string) => () => refusedRequest(code, message);

/**
 * Only the manifest's documents run, each requested by its `documentId` (GraphQL over HTTP, appendix
 * "Persisted Documents"): a request carrying a document, or no documentId, is refused with
 * PERSISTED_QUERY_ONLY, an id not in the manifest with PERSISTED_QUERY_NOT_FOUND.
 */
export function useTrustedDocuments(documents: TrustedDocuments): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: (params, request) => {
      const id = documentIdOf(params, request);
      return typeof id === 'string' ? id : null;
    },
    getPersistedOperation: (id) => documents.get(id) ?? null,
    customErrors: {
      persistedQueryOnly: refusal(
        ErrorCode.PERSISTED_QUERY_ONLY,
        'This server runs only trusted documents: send {"documentId": "<id from the manifest>", "variables": {...}} instead of a query.',
      ),
      keyNotFound: refusal(
        ErrorCode.PERSISTED_QUERY_ONLY,
        'This server runs only trusted documents: the request needs a "documentId" string from the manifest.',
      ),
      notFound: refusal(ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'Unknown documentId: it is not in this server\'s trusted-documents manifest.'),
    },
  }) as Plugin;
}

/** Without a manifest a documentId cannot be resolved: say so instead of ignoring it. */
export function useNoTrustedDocuments(): Plugin {
  return {
    onParams({ params, request }) {
      if (documentIdOf(params, request) === undefined) return;
      throw refusedRequest(
        ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
        'This server has no trusted-documents manifest (TRUSTED_DOCUMENTS is unset): send the document as "query" instead of a documentId.',
      );
    },
  };
}

/**
 * The plugin for the TRUSTED_DOCUMENTS setting: with a manifest path, loads and checks it (a ConfigError if it
 * is bad) and runs only its documents; without one, any document runs and a documentId is refused.
 */
export function trustedDocumentsPlugin(path: string | undefined, schema: GraphQLSchema, logger: Logger): Plugin {
  if (!path) return useNoTrustedDocuments();
  const documents = loadTrustedDocuments(path, schema);
  logger.info({ path, documents: documents.size }, 'trusted documents on: only the manifest\'s documents run, GraphiQL is off');
  return useTrustedDocuments(documents);
}
