/** The query GraphiQL opens with, and the README shows. */
export const EXAMPLE_QUERY = `# Recent completed calls of a project. Put your credential in the Headers tab
# ("x-api-key" or "Authorization": "Bearer <token>"), then press the run button.
query RecentCalls($projectId: ID!, $first: Int, $after: String) {
  callHistory(projectId: $projectId, first: $first, after: $after, filter: { status: COMPLETED }) {
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
