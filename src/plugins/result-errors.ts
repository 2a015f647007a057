import { GraphQLError } from 'graphql';

type ResultErrors = { errors?: readonly GraphQLError[] };

/**
 * Rewrites the errors of a single result, for plugins that adjust what callers see: `rewrite` returns the error
 * itself when nothing changes. The result is replaced only when some error changed.
 */
export function rewriteResultErrors(
  result: unknown,
  setResult: (result: never) => void,
  rewrite: (error: GraphQLError) => GraphQLError,
): void {
  if (Array.isArray(result) || !result || typeof result !== 'object') return;
  const errors = (result as ResultErrors).errors;
  if (!errors) return;
  let changed = false;
  const rewritten = errors.map((error) => {
    const next = rewrite(error);
    if (next !== error) changed = true;
    return next;
  });
  if (changed) setResult({ ...result, errors: rewritten } as never);
}

/** The same error with another message or extensions; location, path and cause stay. */
export function withChanges(
  error: GraphQLError,
  changes: { message?: string; extensions?: GraphQLError['extensions'] },
): GraphQLError {
  return new GraphQLError(changes.message ?? error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: changes.extensions ?? error.extensions,
  });
}
