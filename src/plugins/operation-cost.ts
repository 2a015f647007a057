import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../domain/errors.js';

export interface OperationCostOptions {
  /** The most an operation may cost (MAX_COST). */
  maxCost: number;
  /** The most `_entities` representations one operation may ask for (MAX_ENTITY_REPRESENTATIONS). */
  maxRepresentations: number;
  /** The largest `first` a connection field accepts: a larger one is refused by the field itself. */
  maxFirst: number;
}

export interface OperationCost {
  cost: number;
  /** `_entities` representations in the operation, over all its `_entities` fields. */
  representations: number;
}

/** The field a router sends federation entity lookups to. */
const ENTITIES_FIELD = '_entities';
/** What `first` costs when it is absent (the schema's default is applied before this is used). */
const PAGE_ARGUMENT = 'first';

/**
 * The cost of an operation with its variables applied: one per field a response would hold, where a field with a
 * `first` argument (a connection) charges its list fields (`edges`, `nodes`) `first` times, and `_entities`
 * charges its selection once per representation. `__typename` is free; a field skipped by `@skip`/`@include` is
 * free. `first` counts as at most `maxFirst` (a larger value is refused by the field itself, before any upstream
 * request). Returns undefined when the variables do not coerce: execution then reports that error itself.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  maxFirst: number,
): OperationCost | undefined {
  const operation = getOperationAST(document, operationName ?? null);
  if (!operation) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return undefined;
  const variables = coerced.coerced;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  let representations = 0;

  const included = (node: { readonly directives?: readonly DirectiveNode[] | undefined }): boolean => {
    const directives = node.directives;
    if (!directives?.length) return true;
    if (getDirectiveValues(GraphQLSkipDirective, { directives }, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, { directives }, variables)?.if !== false;
  };

  /** The fields a selection set selects on a concrete object type, fragments spread. */
  const collect = (type: GraphQLCompositeType, selectionSet: SelectionSetNode, out: FieldNode[], seen: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        out.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value, type)) collect(type, selection.selectionSet, out, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        if (!applies(fragment.typeCondition.name.value, type)) continue;
        seen.add(name);
        collect(type, fragment.selectionSet, out, seen);
        seen.delete(name);
      }
    }
  };

  const applies = (condition: string | undefined, type: GraphQLCompositeType): boolean => {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && isObjectType(type) && schema.isSubType(conditionType, type);
  };

  /** What one object of `type` costs with this selection; for an abstract type, its most expensive member. */
  const selectionCost = (type: GraphQLCompositeType, selectionSet: SelectionSetNode, pageSize: number | undefined): number => {
    if (isAbstractType(type)) {
      let most = 0;
      for (const member of schema.getPossibleTypes(type)) most = Math.max(most, selectionCost(member, selectionSet, pageSize));
      return most;
    }
    const fields: FieldNode[] = [];
    collect(type, selectionSet, fields, new Set());
    let total = 0;
    for (const node of fields) {
      const name = node.name.value;
      if (name === '__typename') continue;
      const field = type.getFields()[name] as GraphQLField<unknown, unknown> | undefined;
      if (!field) continue; // introspection fields and unknown names (validation refused the latter)
      total += fieldCost(field, node, pageSize);
    }
    return total;
  };

  const fieldCost = (field: GraphQLField<unknown, unknown>, node: FieldNode, pageSize: number | undefined): number => {
    const named = getNamedType(field.type);
    if (!isCompositeType(named) || !node.selectionSet) return 1;
    const args = field.args.length > 0 ? getArgumentValues(field, node, variables) : {};
    // A connection: its list fields hold `first` items each.
    const first = args[PAGE_ARGUMENT];
    const innerPageSize = typeof first === 'number' ? Math.max(0, Math.min(first, maxFirst)) : undefined;
    let items = 1;
    if (field.name === ENTITIES_FIELD && Array.isArray(args.representations)) {
      items = args.representations.length;
      representations += items;
    } else if (pageSize !== undefined && isListType(isNonNullType(field.type) ? field.type.ofType : field.type)) {
      items = pageSize;
    }
    return items * (1 + selectionCost(named, node.selectionSet, innerPageSize));
  };

  try {
    return { cost: selectionCost(root, operation.selectionSet, undefined), representations };
  } catch {
    return undefined; // an argument that does not coerce: execution reports it
  }
}

/**
 * Yoga's parse cache hands the same DocumentNode to every request with the same text, and an operation's cost
 * depends only on its document, its name and its variables: the cost is kept per document, under its name and
 * variables as JSON (short ones only; each document keeps at most MEMO_ENTRIES, the oldest forgotten first).
 */
const costsByDocument = new WeakMap<DocumentNode, Map<string, OperationCost | undefined>>();
const MEMO_ENTRIES = 64;
const MAX_MEMO_KEY_LENGTH = 512;

/** Variables as JSON when they are few scalars (what a page request sends); undefined for anything bigger. */
function memoKeyOf(rawVariables: Record<string, unknown> | null | undefined): string | undefined {
  if (rawVariables == null) return '{}';
  if (typeof rawVariables !== 'object' || Array.isArray(rawVariables)) return undefined;
  let length = 0;
  for (const name in rawVariables) {
    const value = rawVariables[name];
    if (value !== null && typeof value === 'object') return undefined;
    length += name.length + (typeof value === 'string' ? value.length : 8);
    if (length > MAX_MEMO_KEY_LENGTH) return undefined;
  }
  return JSON.stringify(rawVariables);
}

function costOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  maxFirst: number,
): OperationCost | undefined {
  const operation = getOperationAST(document, operationName ?? null);
  const variables = operation?.variableDefinitions?.length ? memoKeyOf(rawVariables) : '';
  if (variables === undefined) return operationCost(schema, document, operationName, rawVariables, maxFirst);
  const key = `${operationName ?? ''}\u0000${maxFirst}\u0000${variables}`;
  let memo = costsByDocument.get(document);
  if (!memo) costsByDocument.set(document, (memo = new Map()));
  if (memo.has(key)) return memo.get(key);
  const measured = operationCost(schema, document, operationName, rawVariables, maxFirst);
  if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
  memo.set(key, measured);
  return measured;
}

/**
 * Bounds the work one operation may cause, with its variables applied (graphql-armor's cost limit reads literals
 * only, so `first: $n` escaped it): a cost over `maxCost` is refused with MAX_COST_EXCEEDED, more than
 * `maxRepresentations` `_entities` representations with BAD_USER_INPUT. Both before any resolver runs, so before
 * any upstream request.
 */
export function useOperationCost(options: OperationCostOptions): Plugin {
  const refusal = (args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null | undefined; variableValues?: unknown }) => {
    const measured = costOf(args.schema, args.document, args.operationName, args.variableValues as Record<string, unknown>, options.maxFirst);
    if (!measured) return undefined;
    if (measured.representations > options.maxRepresentations) {
      return {
        errors: [
          new GraphQLError(
            `At most ${options.maxRepresentations} _entities representations are accepted per operation (MAX_ENTITY_REPRESENTATIONS); found ${measured.representations}.`,
            { extensions: { code: ErrorCode.BAD_USER_INPUT, argument: 'representations', limit: options.maxRepresentations } },
          ),
        ],
      };
    }
    if (measured.cost > options.maxCost) {
      return {
        errors: [
          new GraphQLError(
            `The operation would cost ${measured.cost}, more than the limit of ${options.maxCost} (MAX_COST). ` +
              'A page costs `first` times its selection; ask for fewer calls, fewer fields or fewer entities.',
            { extensions: { code: ErrorCode.MAX_COST_EXCEEDED, cost: measured.cost, limit: options.maxCost } },
          ),
        ],
      };
    }
    return undefined;
  };
  // Subscriptions too: a subscription's events are executed with its selection, so its cost bounds each event.
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
