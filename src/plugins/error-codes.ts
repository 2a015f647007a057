import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../domain/errors.js';
import { rewriteResultErrors, withChanges } from './result-errors.js';

/**
 * Gives every error a stable `extensions.code`: errors raised by the domain already carry one; errors from
 * parsing, validation (graphql-armor's limits included), variable coercion and the HTTP layer (CSRF) get the
 * standard codes.
 */
export function useErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      rewriteResultErrors(result, setResult, (error) =>
        error.extensions?.code ? error : withChanges(error, { extensions: { ...error.extensions, code: codeFor(error) } }),
      );
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
