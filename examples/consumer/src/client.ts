import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { CallHistoryPageDocument } from './documents.js';
import type { CallFilter, CallHistoryPageQuery, CallSummaryFragment } from './gql/graphql.js';

export interface ClientOptions {
  /** The API's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** Sent with every request: the credential (`x-api-key` or `authorization`). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export interface GraphQLErrorBody {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** The server answered errors (the first one's `extensions.code` is in `code`). */
export class GraphQLRequestError extends Error {
  override name = 'GraphQLRequestError';
  readonly code: string | undefined;

  constructor(
    readonly status: number,
    readonly errors: GraphQLErrorBody[],
  ) {
    super(errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; ') || `HTTP ${status}`);
    this.code = errors[0]?.extensions?.code;
  }
}

/** The id codegen's client preset put in the document (`persistedDocuments`): its entry in the manifest. */
export function documentIdOf(document: TypedDocumentNode<unknown, never>): string {
  const id = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof id !== 'string') throw new Error('the document has no persisted-document id: run codegen with persistedDocuments');
  return id;
}

/** A typed client that sends only `{ documentId, variables }`: the documents' text never leaves the build. */
export function createClient(options: ClientOptions) {
  const send = options.fetch ?? fetch;
  return {
    async execute<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables): Promise<TResult> {
      const response = await send(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...options.headers,
        },
        body: JSON.stringify({ documentId: documentIdOf(document as TypedDocumentNode<unknown, never>), variables }),
      });
      const body = (await response.json()) as { data?: TResult | null; errors?: GraphQLErrorBody[] };
      if (body.errors?.length || body.data == null) throw new GraphQLRequestError(response.status, body.errors ?? []);
      return body.data;
    },
  };
}

export type Client = ReturnType<typeof createClient>;

/** Every call of a project that matches `filter`, newest first, page after page until hasNextPage is false. */
export async function* walkCallHistory(
  client: Client,
  projectId: string,
  options: { filter?: CallFilter; pageSize?: number } = {},
): AsyncGenerator<CallSummaryFragment> {
  let after: string | null = null;
  for (;;) {
    const page: CallHistoryPageQuery = await client.execute(CallHistoryPageDocument, {
      projectId,
      first: options.pageSize ?? 500,
      after,
      filter: options.filter ?? null,
    });
    for (const edge of page.callHistory.edges) yield edge.node;
    const { hasNextPage, endCursor } = page.callHistory.pageInfo;
    if (!hasNextPage) return;
    if (!endCursor) throw new Error('hasNextPage without an endCursor');
    after = endCursor;
  }
}
