/** The query GraphiQL opens on, and the one the README shows. */
export const EXAMPLE_QUERY = `# Workflows with their latest executions
# and each execution's step logs.
# Run it with the run button (Ctrl+Enter);
# page on with after: <endCursor>.
query LatestExecutions {
  workflows(first: 5) {
    totalCount
    nodes {
      id
      name
      isActive
      scheduleType
      executions(first: 3) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          status
          startedAt
          durationInSeconds
          errorMessage
          logs { nodeId componentId status output }
        }
      }
    }
  }
}
`;
