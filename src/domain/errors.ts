/** Every error the API answers carries one of these in `extensions.code`. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  UPSTREAM_BAD_RESPONSE: 'UPSTREAM_BAD_RESPONSE',
  PAGINATION_LIMIT: 'PAGINATION_LIMIT',
  /** Trusted documents are on (TRUSTED_DOCUMENTS) and the request sent a document, or no documentId. */
  PERSISTED_QUERY_ONLY: 'PERSISTED_QUERY_ONLY',
  /** The documentId is not in the trusted-documents manifest. */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** A documentId was sent while trusted documents are off. */
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one error class of the domain: a plain error with a code and the details a caller may see. The error
 * plugin turns it into a GraphQL error at the edge; any other error is masked there as an unexpected one.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** What `extensions` of the GraphQL error will hold: the details and the code. */
  readonly extensions: Readonly<Record<string, unknown>> & { readonly code: ErrorCode };

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.extensions = { ...extensions, code };
  }
}

export const badInput = (message: string, extensions?: Record<string, unknown>) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, extensions);
