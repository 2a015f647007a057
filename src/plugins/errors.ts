import { type ExecutionResult, GraphQLError, type GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';
import { type MaskError, type Plugin, maskError as yogaMaskError } from 'graphql-yoga';
import { AppError, ErrorCode } from '../domain/errors.js';

/**
 * Where the domain's errors become GraphQL errors (Yoga's `maskedErrors.maskError`): an AppError keeps its
 * message and extensions (its code and details), located where it was thrown; anything else is masked by
 * Yoga as an unexpected error (INTERNAL_SERVER_ERROR).
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

export interface ErrorPipelineOptions {
  /** Remove graphql-js's "Did you mean ...?" hints, which reveal schema names (production). */
  hideSuggestions: boolean;
}

export interface ErrorPipeline {
  /** For Yoga's `maskedErrors`: where an AppError becomes a GraphQL error. */
  maskError: MaskError;
  /** Decides every error's code and scrubs its message, in one pass over the result. */
  plugin: Plugin;
  /** For graphql-armor's `onReject`: the limit it refused a document with, a validation failure. */
  onArmorReject: (context: unknown, error: GraphQLError) => void;
}

/** Strings this long are also removed where they appear unquoted (scalars echo bad input without quotes). */
const MIN_UNQUOTED_LENGTH = 6;
/** Enough for any real operation's variables; a flood of values is not scanned past it. */
const MAX_VISITED = 10_000;
const SUGGESTION = /\s*Did you mean [^?]*\?/g;
/** graphql-armor words its limits as syntax errors ("Syntax Error: Aliases limit of 15 exceeded"): they are not. */
const LIMIT_AS_SYNTAX_ERROR = /^Syntax Error: (?=.*\blimit of \d+ exceeded)/;
export const ELIDED_VALUE = '[value]';

/**
 * The one error pipeline. Every error leaves with a stable `extensions.code`, decided from what its source
 * says: the domain's AppErrors carry theirs (see maskError); Yoga codes parse and validation failures and
 * the executor codes operation resolution; graphql-armor reports a refused limit through `onReject`; a
 * request the executor refused before running it (variables that do not coerce) is the caller's input; an
 * error of the HTTP layer (CSRF prevention, a malformed or oversized request) carries its 4xx status.
 *
 * Messages never repeat what the caller sent in variables: graphql-js and scalars echo a rejected value
 * ("Variable "$first" got invalid value "..."; Int cannot represent ..."), which would copy whatever the
 * value holds (a token pasted in the wrong field) into responses, proxies' logs and error trackers. Every
 * string of the variables (values and keys) is replaced by `[value]` in messages, except names the schema
 * itself defines (public anyway, and needed to read a path such as "filter.status"); the variable's name, its
 * path and the reason stay. With `hideSuggestions`, "Did you mean" hints are removed from every error (armor
 * covers validation errors only; variable coercion suggests too). No error keeps `extensions.originalError`.
 */
export function createErrorPipeline(options: ErrorPipelineOptions): ErrorPipeline {
  const armorRejections = new WeakSet<GraphQLError>();
  const refusedInputs = new WeakSet<GraphQLError>();
  const variablesOf = new WeakMap<Request, unknown>();
  let schemaNames = new Set<string>();

  const codeOf = (error: GraphQLError): string => {
    const given = error.extensions?.code;
    if (typeof given === 'string') return given;
    if (armorRejections.has(error)) return ErrorCode.GRAPHQL_VALIDATION_FAILED;
    if (refusedInputs.has(error)) return ErrorCode.BAD_USER_INPUT;
    const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) return ErrorCode.BAD_REQUEST;
    return ErrorCode.INTERNAL_SERVER_ERROR;
  };

  const plugin: Plugin = {
    onSchemaChange({ schema }) {
      schemaNames = namesOf(schema);
    },
    onParams({ params, request }) {
      if (params.variables != null) variablesOf.set(request, params.variables);
    },
    onExecute() {
      return {
        onExecuteDone({ result }) {
          // A result without `data` is a request the executor refused before running it (GraphQL spec 7.1.2).
          const single = result as ExecutionResult;
          if (!('data' in single) && Array.isArray(single.errors)) for (const error of single.errors) refusedInputs.add(error);
        },
      };
    },
    onResultProcess({ request, result, setResult }) {
      // Read once and dropped: a WeakMap's entries outlive minor GCs until a major one.
      const variables = variablesOf.get(request);
      variablesOf.delete(request);
      if (Array.isArray(result) || !result || typeof result !== 'object') return;
      const errors = (result as { errors?: readonly GraphQLError[] }).errors;
      if (!errors) return;
      let echoes: string[] | undefined;
      let changed = false;
      const rewritten = errors.map((error) => {
        const code = codeOf(error);
        echoes ??= stringsOf(variables ?? {}).filter((value) => !schemaNames.has(value));
        let message = elide(error.message, echoes);
        if (options.hideSuggestions) message = message.replace(SUGGESTION, '').trim();
        message = message.replace(LIMIT_AS_SYNTAX_ERROR, '');
        const echo = error.extensions !== undefined && 'originalError' in error.extensions;
        if (code === error.extensions?.code && message === error.message && !echo) return error;
        changed = true;
        return new GraphQLError(message, {
          nodes: error.nodes ?? null,
          source: error.source ?? null,
          positions: error.positions ?? null,
          path: error.path ?? null,
          originalError: error.originalError ?? null,
          extensions: { ...withoutEcho(error.extensions), code },
        });
      });
      if (changed) setResult({ ...result, errors: rewritten } as never);
    },
  };

  return { maskError, plugin, onArmorReject: (_context, error) => armorRejections.add(error) };
}

/**
 * The extensions without `originalError`, which Yoga adds to a request body it cannot parse: it holds the JSON
 * parser's message, which quotes the body (secrets included), in production too. Yoga answers an
 * `application/json` request with 200 unless such an error is there; the HTTP status it carries (400) is kept
 * by no longer marking it as a spec error.
 */
function withoutEcho(extensions: GraphQLError['extensions']): Record<string, unknown> {
  if (!('originalError' in extensions)) return extensions;
  const { originalError: _echo, ...kept } = extensions;
  if (kept.http) {
    const { spec: _spec, ...http } = kept.http as Record<string, unknown>;
    kept.http = http;
  }
  return kept;
}

/** Every name a schema defines: types, fields, arguments, input fields and enum values. */
export function namesOf(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    names.add(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        names.add(field.name);
        for (const arg of field.args) names.add(arg.name);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) names.add(field.name);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) names.add(value.name);
    }
  }
  return names;
}

/** The distinct strings of a JSON value (object keys included), longest first so that no part of one survives. */
export function stringsOf(value: unknown): string[] {
  const found = new Set<string>();
  const queue: unknown[] = [value];
  for (let next = 0; next < queue.length && next < MAX_VISITED; next++) {
    const item = queue[next];
    if (typeof item === 'string') {
      if (item !== '') found.add(item);
    } else if (Array.isArray(item)) {
      for (const child of item) {
        if (queue.length >= MAX_VISITED) break;
        queue.push(child);
      }
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (queue.length >= MAX_VISITED) break;
        if (key !== '') found.add(key);
        queue.push(child);
      }
    }
  }
  return [...found].sort((a, b) => b.length - a.length);
}

export function elide(message: string, strings: readonly string[]): string {
  let out = message;
  for (const value of strings) {
    const quoted = JSON.stringify(value);
    if (out.includes(quoted)) out = out.replaceAll(quoted, `"${ELIDED_VALUE}"`);
    if (value.length >= MIN_UNQUOTED_LENGTH && out.includes(value)) out = out.replaceAll(value, ELIDED_VALUE);
  }
  return out;
}
