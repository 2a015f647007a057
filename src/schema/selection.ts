import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

type Fragments = Readonly<Record<string, FragmentDefinitionNode>>;

/**
 * Whether the field being resolved selects the field at `path` below it (by field name, not alias), through
 * inline fragments and named fragments. It answers true whenever the field may be read: a field under
 * `@skip` or `@include` counts as selected, and so does a spread of a fragment the document does not define.
 */
export function selectsPath(fieldNodes: readonly FieldNode[], fragments: Fragments, path: readonly string[]): boolean {
  return fieldNodes.some((node) => node.selectionSet !== undefined && inSelectionSet(node.selectionSet, fragments, path, new Set()));
}

function inSelectionSet(set: SelectionSetNode, fragments: Fragments, path: readonly string[], visited: Set<string>): boolean {
  const [name, ...rest] = path;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== name) continue;
      if (rest.length === 0) return true;
      if (selection.selectionSet && inSelectionSet(selection.selectionSet, fragments, rest, visited)) return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (inSelectionSet(selection.selectionSet, fragments, path, visited)) return true;
    } else {
      const fragmentName = selection.name.value;
      const fragment = fragments[fragmentName];
      if (!fragment) return true;
      // Validation refuses fragment cycles; the guard keeps an unvalidated document from looping.
      const key = `${fragmentName}\n${path.join('.')}`;
      if (visited.has(key)) continue;
      visited.add(key);
      if (inSelectionSet(fragment.selectionSet, fragments, path, visited)) return true;
    }
  }
  return false;
}

/** Whether a `callHistory` field reads `pageInfo.hasNextPage`, which costs one more row (or request) to know. */
export const selectsHasNextPage = (info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): boolean =>
  selectsPath(info.fieldNodes, info.fragments, ['pageInfo', 'hasNextPage']);
