import { graphql } from '../__generated__/gql.js';

/** Every field of §2's `Call`, as history and `call` both return it. */
export const CallFields = graphql(`
  fragment CallFields on Call {
    sid
    status
    rawStatus
    from
    to
    phoneNumber
    startedAt
    durationSeconds
    endedAt
    cost
    recordingUrls
    data
    raw
  }
`);

export const CallHistoryPage = graphql(`
  query CallHistoryPage($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {
    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...CallFields
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

export const CallSids = graphql(`
  query CallSids($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {
    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {
      nodes {
        sid
        startedAt
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CallBySid = graphql(`
  query CallBySid($projectId: ID!, $sid: ID!) {
    call(projectId: $projectId, sid: $sid) {
      projectId
      ...CallFields
    }
  }
`);
