import { graphql } from '../__generated__/gql.js';

export const CallHistoryPage = graphql(`
  query CallHistoryPage($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {
    callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
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
