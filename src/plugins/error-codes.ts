import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

/**
 * Gives every error a stable `extensions.code`: errors raised by the domain already carry one; errors from
 * parsing, validation (graphql-armor's limits included) and variable coercion get the standard codes.
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

function codeFor(error: GraphQLError): string {
  const message = error.message;
  if (message.startsWith('Syntax Error')) return 'GRAPHQL_PARSE_FAILED';
  if (message.startsWith('Variable "$') || message.startsWith('Unknown type')) return ErrorCode.BAD_USER_INPUT;
  if (!error.path) return 'GRAPHQL_VALIDATION_FAILED';
  return 'INTERNAL_SERVER_ERROR';
}
