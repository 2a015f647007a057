import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

/**
 * Gives every error a stable `extensions.code`: errors raised by the domain already carry one; errors from
 * parsing, validation (graphql-armor's limits included), variable coercion and the HTTP layer (CSRF) get the
 * standard codes.
 */
export function useErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      let changed = false;
      const errors = result.errors.map((error) => {
        if (error.extensions?.code) return error;
        changed = true;
        return new GraphQLError(error.message, {
          nodes: error.nodes ?? null,
          source: error.source ?? null,
          positions: error.positions ?? null,
          path: error.path ?? null,
          originalError: error.originalError ?? null,
          extensions: { ...error.extensions, code: codeFor(error) },
        });
      });
      if (changed) setResult({ ...result, errors });
    },
  };
}

/** graphql-armor reports its limits as syntax errors ("Syntax Error: Aliases limit of 15 exceeded, found 16."). */
const ARMOR_LIMIT = /^Syntax Error: (?:.* limit of \d+ exceeded|Query validation error\.)/;

export function codeFor(error: GraphQLError): string {
  const message = error.message;
  if (ARMOR_LIMIT.test(message)) return 'GRAPHQL_VALIDATION_FAILED';
  if (message.startsWith('Syntax Error')) return 'GRAPHQL_PARSE_FAILED';
  if (message.startsWith('Variable "$')) return ErrorCode.BAD_USER_INPUT;
  // Errors of the HTTP layer (CSRF prevention, malformed requests) carry their status and no path.
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return 'BAD_REQUEST';
  if (!error.path) return 'GRAPHQL_VALIDATION_FAILED';
  return 'INTERNAL_SERVER_ERROR';
}
