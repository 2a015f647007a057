import { type GraphQLSchema, isEnumType, isInputObjectType, isObjectType, isInterfaceType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { rewriteResultErrors, withChanges } from './result-errors.js';

export interface SafeErrorMessagesOptions {
  /** Remove graphql-js's "Did you mean ...?" hints, which reveal schema names (production). */
  hideSuggestions: boolean;
}

/** Strings this long are also removed where they appear unquoted (scalars echo bad input without quotes). */
const MIN_UNQUOTED_LENGTH = 6;
/** Enough for any real operation's variables; a flood of values is not scanned past it. */
const MAX_VISITED = 10_000;
const SUGGESTION = /\s*Did you mean [^?]*\?/g;
export const ELIDED_VALUE = '[value]';

/**
 * Error messages never repeat what the caller sent in variables: graphql-js and scalars echo a rejected value
 * ("Variable "$first" got invalid value "..."; Int cannot represent ..."), which would copy whatever the
 * value holds (a token pasted in the wrong field) into responses, proxies' logs and error trackers. Every
 * string of the variables (values and keys) is replaced by `[value]` in messages, except names the schema
 * itself defines (public anyway, and needed to read a path such as "filter.status"); the variable's name, its
 * path and the reason stay. With `hideSuggestions`, "Did you mean" hints are removed from every error (armor
 * covers validation errors only; variable coercion suggests too).
 */
export function useSafeErrorMessages(options: SafeErrorMessagesOptions): Plugin {
  const variablesOf = new WeakMap<Request, unknown>();
  let schemaNames = new Set<string>();
  return {
    onSchemaChange({ schema }) {
      schemaNames = namesOf(schema);
    },
    onParams({ params, request }) {
      if (params.variables != null) variablesOf.set(request, params.variables);
    },
    onResultProcess({ request, result, setResult }) {
      let echoes: string[] | undefined;
      rewriteResultErrors(result, setResult, (error) => {
        echoes ??= stringsOf(variablesOf.get(request) ?? {}).filter((value) => !schemaNames.has(value));
        let message = elide(error.message, echoes);
        if (options.hideSuggestions) message = message.replace(SUGGESTION, '').trim();
        return message === error.message ? error : withChanges(error, { message });
      });
    },
  };
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
