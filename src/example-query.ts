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

/** Starting a run: the second tab GraphiQL opens with. */
export const EXAMPLE_START_RUN = `# Start a run of a workflow. Copy the new
# execution's id into the next tab's variables
# and run it to watch the run live.
mutation StartRun($workflowId: ID!) {
  executeWorkflow(input: { workflowId: $workflowId, context: { source: "graphiql" } }) {
    execution { id status }
  }
}
`;

/** Watching a run: the third tab; statuses and logs stream in until the run ends. */
export const EXAMPLE_WATCH_RUN = `# Watch a run: the run now, then the run again
# on every change of status or logs, until it
# completes or fails. (Server-Sent Events; the
# same works over graphql-ws at this URL.)
# The demo fills in a run that goes on for as
# long as the demo does.
subscription WatchRun($id: ID!) {
  executionUpdated(id: $id) {
    id
    status
    errorMessage
    logs { nodeId status createdAt }
  }
}
`;
