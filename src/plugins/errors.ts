import { GraphQLError } from 'graphql';
import { type MaskError, maskError as yogaMaskError } from 'graphql-yoga';
import { AppError } from '../domain/errors.js';

/**
 * Where the domain's errors become GraphQL errors: an AppError keeps its message and extensions (its code
 * and details), located where it was thrown; anything else is masked by Yoga as an unexpected error.
 */
export const maskError: MaskError = (error, message, isDev) => {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof AppError) {
    const located = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(original.message, {
      nodes: located?.nodes ?? null,
      source: located?.source ?? null,
      positions: located?.positions ?? null,
      path: located?.path ?? null,
      extensions: { ...original.extensions },
    });
  }
  return yogaMaskError(error, message, isDev);
};
