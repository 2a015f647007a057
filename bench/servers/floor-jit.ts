/**
 * The floors' compiled execution: each distinct document (Yoga's parse cache hands the same DocumentNode to every
 * request with the same text) compiled once by graphql-jit, as our server compiles queries.
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

const compiledByDocument = new WeakMap<DocumentNode, CompiledQuery>();

/** The document's compiled form, or the compiler's errors (not kept: a refused document is refused each time). */
export function compiledOnce(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): CompiledQuery | { errors: ReadonlyArray<{ message: string }> } {
  const known = compiledByDocument.get(document);
  if (known) return known;
  const made = compileQuery(schema, document, operationName ?? undefined);
  if (!isCompiledQuery(made)) return { errors: made.errors ?? [{ message: 'The document does not compile.' }] };
  compiledByDocument.set(document, made);
  return made;
}
