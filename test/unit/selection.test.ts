import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { selectsHasNextPage } from '../../src/schema/selection.js';

/** The resolve info of every top-level field of the document's operation (as graphql-js merges them by response key). */
function infoOf(document: string, responseKey = 'callHistory') {
  const parsed = parse(document);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of parsed.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  const operation = parsed.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fieldNodes = operation.selectionSet.selections.filter(
    (s): s is FieldNode => s.kind === Kind.FIELD && (s.alias ?? s.name).value === responseKey,
  );
  return { fieldNodes, fragments };
}

describe('selectsHasNextPage', () => {
  it('true when pageInfo selects hasNextPage, under any alias', () => {
    expect(selectsHasNextPage(infoOf('{ callHistory { pageInfo { hasNextPage } } }'))).toBe(true);
    expect(selectsHasNextPage(infoOf('{ callHistory { p: pageInfo { more: hasNextPage } } }'))).toBe(true);
  });

  it('false when it is absent, or when only other pageInfo fields or a same-named field elsewhere are selected', () => {
    expect(selectsHasNextPage(infoOf('{ callHistory { nodes { sid } } }'))).toBe(false);
    expect(selectsHasNextPage(infoOf('{ callHistory { pageInfo { endCursor hasPreviousPage } } }'))).toBe(false);
    expect(selectsHasNextPage(infoOf('{ callHistory { hasNextPage: nodes { sid } } }'))).toBe(false);
  });

  it('follows named fragments, nested fragments and inline fragments', () => {
    expect(
      selectsHasNextPage(infoOf('{ callHistory { ...A } } fragment A on CallConnection { ...B } fragment B on CallConnection { pageInfo { hasNextPage } }')),
    ).toBe(true);
    expect(selectsHasNextPage(infoOf('{ callHistory { pageInfo { ...P } } } fragment P on PageInfo { hasNextPage }'))).toBe(true);
    expect(selectsHasNextPage(infoOf('{ callHistory { ... on CallConnection { pageInfo { ... { hasNextPage } } } } }'))).toBe(true);
    expect(selectsHasNextPage(infoOf('{ callHistory { ...A } } fragment A on CallConnection { pageInfo { endCursor } }'))).toBe(false);
  });

  it('looks at every node of a field merged from several selections', () => {
    expect(selectsHasNextPage(infoOf('{ callHistory { nodes { sid } } callHistory { pageInfo { hasNextPage } } }'))).toBe(true);
  });

  it('errs towards true: fields under @skip or @include, and spreads of unknown fragments, count as selected', () => {
    expect(selectsHasNextPage(infoOf('{ callHistory { pageInfo { hasNextPage @skip(if: true) } } }'))).toBe(true);
    expect(selectsHasNextPage(infoOf('{ callHistory { ...Missing } }'))).toBe(true);
  });

  it('ends on fragment cycles (which validation refuses before any resolver runs)', () => {
    expect(selectsHasNextPage(infoOf('{ callHistory { ...A } } fragment A on CallConnection { ...B } fragment B on CallConnection { ...A }'))).toBe(false);
  });
});
