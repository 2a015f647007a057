/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment CallFields on Call {\n    sid\n    status\n    rawStatus\n    from\n    to\n    phoneNumber\n    startedAt\n    durationSeconds\n    endedAt\n    cost\n    recordingUrls\n    data\n    raw\n  }\n": typeof types.CallFieldsFragmentDoc,
    "\n  query CallHistoryPage($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CallFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.CallHistoryPageDocument,
    "\n  query CallSids($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      nodes {\n        sid\n        startedAt\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.CallSidsDocument,
    "\n  query CallBySid($projectId: ID!, $sid: ID!) {\n    call(projectId: $projectId, sid: $sid) {\n      projectId\n      ...CallFields\n    }\n  }\n": typeof types.CallBySidDocument,
};
const documents: Documents = {
    "\n  fragment CallFields on Call {\n    sid\n    status\n    rawStatus\n    from\n    to\n    phoneNumber\n    startedAt\n    durationSeconds\n    endedAt\n    cost\n    recordingUrls\n    data\n    raw\n  }\n": types.CallFieldsFragmentDoc,
    "\n  query CallHistoryPage($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CallFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.CallHistoryPageDocument,
    "\n  query CallSids($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      nodes {\n        sid\n        startedAt\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.CallSidsDocument,
    "\n  query CallBySid($projectId: ID!, $sid: ID!) {\n    call(projectId: $projectId, sid: $sid) {\n      projectId\n      ...CallFields\n    }\n  }\n": types.CallBySidDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CallFields on Call {\n    sid\n    status\n    rawStatus\n    from\n    to\n    phoneNumber\n    startedAt\n    durationSeconds\n    endedAt\n    cost\n    recordingUrls\n    data\n    raw\n  }\n"): (typeof documents)["\n  fragment CallFields on Call {\n    sid\n    status\n    rawStatus\n    from\n    to\n    phoneNumber\n    startedAt\n    durationSeconds\n    endedAt\n    cost\n    recordingUrls\n    data\n    raw\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CallHistoryPage($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CallFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query CallHistoryPage($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...CallFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CallSids($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      nodes {\n        sid\n        startedAt\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query CallSids($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {\n    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {\n      nodes {\n        sid\n        startedAt\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CallBySid($projectId: ID!, $sid: ID!) {\n    call(projectId: $projectId, sid: $sid) {\n      projectId\n      ...CallFields\n    }\n  }\n"): (typeof documents)["\n  query CallBySid($projectId: ID!, $sid: ID!) {\n    call(projectId: $projectId, sid: $sid) {\n      projectId\n      ...CallFields\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;