/**
 * Every code the API answers in `extensions.code`, and whose fault an error with it is: the caller's (a bad
 * request, credential or input) or the server's and its upstream's. The domain raises the first group; the
 * protocol codes below them come from parsing, validation and the HTTP layer.
 */
const CODES = {
  BAD_USER_INPUT: 'caller',
  UNAUTHENTICATED: 'caller',
  FORBIDDEN: 'caller',
  RATE_LIMITED: 'server',
  UPSTREAM_ERROR: 'server',
  UPSTREAM_UNAVAILABLE: 'server',
  UPSTREAM_TIMEOUT: 'server',
  UPSTREAM_BAD_RESPONSE: 'server',
  PAGINATION_LIMIT: 'caller',
  /** The operation's cost, with its variables applied, is over MAX_COST. */
  MAX_COST_EXCEEDED: 'caller',
  /** The operation needed more upstream requests than UPSTREAM_MAX_REQUESTS_PER_OPERATION. */
  UPSTREAM_REQUEST_LIMIT: 'caller',
  /** The serialised response would be larger than MAX_RESPONSE_BYTES. */
  RESPONSE_TOO_LARGE: 'caller',
  /** With UPSTREAM_API_KEY: the request's Host header names a host not in ALLOWED_HOSTS (HTTP 421). */
  HOST_NOT_ALLOWED: 'caller',
  /** Trusted documents are on (TRUSTED_DOCUMENTS) and the request sent a document, or no documentId. */
  PERSISTED_QUERY_ONLY: 'caller',
  /** The documentId is not in the trusted-documents manifest. */
  PERSISTED_QUERY_NOT_FOUND: 'caller',
  /** A documentId was sent while trusted documents are off. */
  PERSISTED_QUERY_NOT_SUPPORTED: 'caller',
  /** A credential already holds MAX_SUBSCRIPTIONS_PER_CREDENTIAL subscriptions. */
  SUBSCRIPTION_LIMIT: 'caller',
  /** A subscription fell EVENTS_SUBSCRIBER_QUEUE events behind and was ended. */
  SLOW_CONSUMER: 'caller',
  GRAPHQL_PARSE_FAILED: 'caller',
  GRAPHQL_VALIDATION_FAILED: 'caller',
  OPERATION_RESOLUTION_FAILURE: 'caller',
  BAD_REQUEST: 'caller',
  REQUEST_ENTITY_TOO_LARGE: 'caller',
  INTERNAL_SERVER_ERROR: 'server',
} as const satisfies Record<string, 'caller' | 'server'>;

export type ErrorCode = keyof typeof CODES;
export const ErrorCode = Object.fromEntries(Object.keys(CODES).map((code) => [code, code])) as {
  readonly [Code in ErrorCode]: Code;
};

/** Codes that mean the server or its upstream failed, rather than the caller. */
export const SERVER_SIDE_CODES: ReadonlySet<string> = new Set(
  (Object.keys(CODES) as ErrorCode[]).filter((code) => CODES[code] === 'server'),
);

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
