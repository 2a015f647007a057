/** The query GraphiQL opens with, and the README shows. Lines are short enough for GraphiQL's editor pane. */
export const EXAMPLE_QUERY = `# The newest completed calls of a project.
#
# Your credential goes in the Headers tab below:
#   { "x-api-key": "<your key>" }
# or
#   { "Authorization": "Bearer <your token>" }
# Press the run button (or Ctrl-Enter) to send it.
# Next page: put pageInfo.endCursor in $after.
query RecentCalls($projectId: ID!, $first: Int, $after: String) {
  callHistory(
    projectId: $projectId
    first: $first
    after: $after
    filter: { status: COMPLETED }
  ) {
    edges {
      node {
        sid
        status
        from
        to
        startedAt
        durationSeconds
        cost
        recordingUrls
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

export const EXAMPLE_VARIABLES = { projectId: 'demo', first: 10 };

/** GraphiQL's second tab, and the README's subscription example: the project's calls as they change. */
export const EXAMPLE_SUBSCRIPTION = `# Calls of a project as they start and change.
#
# Press run: the subscription stays open (over SSE), and the
# result pane shows the latest event as it arrives: STARTED
# for a new call, UPDATED (with previousStatus) when a
# call's status, duration, cost or recordings change.
# The same button (now a square) stops it.
subscription CallEvents($projectId: ID!) {
  callEvents(projectId: $projectId) {
    kind
    observedAt
    previousStatus
    call {
      sid
      status
      from
      to
      startedAt
      durationSeconds
      cost
    }
  }
}
`;

export const EXAMPLE_SUBSCRIPTION_VARIABLES = { projectId: EXAMPLE_VARIABLES.projectId };
