import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode, SERVER_SIDE_CODES } from '../../src/domain/errors.js';
import { createErrorPipeline } from '../../src/plugins/errors.js';

describe('the error code list', () => {
  it('derives the server-side codes: upstream failures, rate limiting and unexpected errors', () => {
    expect([...SERVER_SIDE_CODES].sort()).toEqual(
      ['INTERNAL_SERVER_ERROR', 'RATE_LIMITED', 'UPSTREAM_BAD_RESPONSE', 'UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE'].sort(),
    );
    expect(SERVER_SIDE_CODES.has(ErrorCode.BAD_USER_INPUT)).toBe(false);
    expect(SERVER_SIDE_CODES.has(ErrorCode.PAGINATION_LIMIT)).toBe(false);
  });
});

describe('maskError: where a domain error becomes a GraphQL error', () => {
  const { maskError } = createErrorPipeline({ hideSuggestions: false });

  it('keeps an AppError located where it was thrown, with its message, code and details', () => {
    const thrown = new AppError(ErrorCode.PAGINATION_LIMIT, 'Too deep.', { day: '2024-03-06' });
    const located = new GraphQLError(thrown.message, { path: ['callHistory'], originalError: thrown });
    const shown = maskError(located, 'Unexpected error.', false) as GraphQLError;
    expect(shown).toBeInstanceOf(GraphQLError);
    expect(shown.message).toBe('Too deep.');
    expect(shown.path).toEqual(['callHistory']);
    expect(shown.extensions).toEqual({ day: '2024-03-06', code: 'PAGINATION_LIMIT' });
    // No original error that is not a GraphQL error: Yoga does not count it as unexpected.
    expect(shown.originalError).toBeUndefined();
  });

  it('masks any other error as unexpected, without its message', () => {
    const located = new GraphQLError('postgres://admin:hunter2@db', { path: ['callHistory'], originalError: new Error('postgres://admin:hunter2@db') });
    const shown = maskError(located, 'Unexpected error.', false) as GraphQLError;
    expect(shown.message).toBe('Unexpected error.');
    expect(shown.extensions.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
