import { graphql } from './gql/index.js';

/** The fields this client shows for a call. */
export const CallSummaryFragment = graphql(`
  fragment CallSummary on Call {
    sid
    status
    from
    to
    startedAt
    endedAt
    durationSeconds
    recordingUrls
    data
  }
`);

/** One page of a project's calls, newest first; walk it with pageInfo.endCursor as `after`. */
export const CallHistoryPageDocument = graphql(`
  query CallHistoryPage($projectId: ID!, $first: Int!, $after: String, $filter: CallFilter) {
    callHistory(projectId: $projectId, first: $first, after: $after, filter: $filter) {
      edges {
        node {
          ...CallSummary
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
