import { BREAK, type DocumentNode, type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLSchema, type Source, getOperationAST, getVariableValues, visit } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

export interface CompiledExecutionOptions {
  /** Told once per document and operation the compiler refused (those run on the regular executor). */
  onRefused?: (operationName: string | undefined, reason: string) => void;
}

/** A document's compiled form for one operation, or the reason it has none. */
type Compiled = { query: CompiledQuery } | { refused: string };

/** What the plugin did with one execution: for tests and the benchmark. */
export interface CompiledExecutionStats {
  compiled: number;
  regular: number;
}

/**
 * Runs queries with graphql-jit: each distinct document (Yoga's parse cache hands the same DocumentNode to every
 * request with the same text) is compiled once per operation name, into a function that resolves and completes
 * the selection without walking the AST again. Everything around execution stays as it is: graphql-js's parsing
 * and validation, and its variable coercion, which runs first, so that a value that does not coerce is refused
 * by the regular executor with graphql-js's own message and code.
 *
 * The regular executor runs instead, per request, for what the compiler does not do identically: an operation
 * other than a query (mutations, which this schema lacks and graphql-js refuses in its own words; subscriptions,
 * which are streams), federation's `_entities` (see below), a document the compiler refuses, and variables that
 * do not coerce.
 */
export function useCompiledExecution(options: CompiledExecutionOptions = {}): Plugin & { stats: CompiledExecutionStats } {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Compiled>>>();
  const stats: CompiledExecutionStats = { compiled: 0, regular: 0 };

  const compiledFor = (args: ExecutionArgs): Compiled => {
    let byDocument = bySchema.get(args.schema);
    if (!byDocument) bySchema.set(args.schema, (byDocument = new WeakMap()));
    let byOperation = byDocument.get(args.document);
    if (!byOperation) byDocument.set(args.document, (byOperation = new Map()));
    const key = args.operationName ?? '';
    let entry = byOperation.get(key);
    if (!entry) {
      entry = compile(args);
      byOperation.set(key, entry);
      if ('refused' in entry) options.onRefused?.(args.operationName ?? undefined, entry.refused);
    }
    return entry;
  };

  const runCompiled = (query: CompiledQuery) => (args: ExecutionArgs) => {
    const result = query.query(args.rootValue, args.contextValue, args.variableValues);
    return isPromise(result) ? result.then((done) => asGraphQLJsResult(done, args.document)) : asGraphQLJsResult(result, args.document);
  };

  return {
    stats,
    onExecute({ args, setExecuteFn }) {
      const entry = compiledFor(args);
      if ('refused' in entry || !variablesCoerce(args)) {
        stats.regular += 1;
        return;
      }
      stats.compiled += 1;
      setExecuteFn(runCompiled(entry.query) as never);
    },
  };
}

function compile(args: ExecutionArgs): Compiled {
  const operation = getOperationAST(args.document, args.operationName ?? null);
  if (!operation) return { refused: 'no single operation to run' };
  if (operation.operation !== 'query') return { refused: `a ${operation.operation} runs on the regular executor` };
  if (selectsField(args.document, ENTITIES_FIELD)) return { refused: `${ENTITIES_FIELD} runs on the regular executor` };
  try {
    const compiled = compileQuery(args.schema, args.document, args.operationName ?? undefined, { disablingCapturingStackErrors: true });
    if (isCompiledQuery(compiled)) return { query: compiled };
    return { refused: compiled.errors?.map((error) => error.message).join('; ') || 'not compiled' };
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Federation's entity lookups answer a list in which one representation may fail alone: graphql-jit drops the
 * failed item at the end of such a list where graphql-js keeps it as null, so they keep graphql-js's executor.
 */
const ENTITIES_FIELD = '_entities';

function selectsField(document: DocumentNode, name: string): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value !== name) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** graphql-js's coercion of the request's variables: false when the regular executor must report the failure. */
function variablesCoerce(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName ?? null);
  const definitions = operation?.variableDefinitions;
  if (!definitions?.length) return true;
  return getVariableValues(args.schema, definitions, (args.variableValues ?? {}) as Record<string, unknown>).errors === undefined;
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as { then?: unknown }).then === 'function';

/**
 * graphql-jit's result in graphql-js's form: `errors` before `data`, and each error a graphql-js GraphQLError (the
 * compiler's own carries its locations but not the document's source and positions, and no `extensions` when the
 * original error has none), so that the error pipeline and the serialised answer see exactly what graphql-js gives.
 */
function asGraphQLJsResult(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  if (!result.errors?.length) return result;
  const source = document.loc?.source;
  const errors = result.errors.map((error) => {
    const positions = source && error.locations?.map((location) => positionOf(source, location.line, location.column));
    return new GraphQLError(error.message, {
      source: positions ? source : null,
      positions: positions ?? null,
      path: error.path ?? null,
      originalError: error.originalError ?? null,
    });
  });
  const { errors: _compiled, data, ...rest } = result;
  return { errors, data: data ?? null, ...rest };
}

/** The character offset of a 1-based line and column in a source (graphql-js counts \r\n, \n and \r as line ends). */
function positionOf(source: Source, line: number, column: number): number {
  const body = source.body;
  const lineEnds = /\r\n|[\n\r]/g;
  let start = 0;
  for (let current = 1; current < line; current++) {
    const match = lineEnds.exec(body);
    if (!match) break;
    start = match.index + match[0].length;
  }
  return start + column - 1;
}
