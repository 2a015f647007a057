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
