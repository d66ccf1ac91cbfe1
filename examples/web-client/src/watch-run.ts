/**
 * Starting a run and watching it live, as a frontend team would: `executeWorkflow` over plain
 * fetch (typed like the other examples, see page-executions.ts), then `executionUpdated` over
 * GraphQL over Server-Sent Events with graphql-sse's client until the run completes or fails. The
 * gateway sends the run as it is now, then again on each change, and completes the stream after
 * the last status; so the loop below needs no polling and no stop condition of its own.
 *
 *   npx tsx examples/web-client/src/watch-run.ts <graphql-url> <bearer-token> <workflow-id>
 */
import { print } from 'graphql';
import { createClient } from 'graphql-sse';
import { graphql } from './gql/index.js';
import type { WatchRunSubscription } from './gql/graphql.js';
import { GraphQLRequestError, request } from './page-executions.js';

const StartRun = graphql(`
  mutation StartRun($workflowId: ID!, $idempotencyKey: String) {
    executeWorkflow(input: { workflowId: $workflowId, idempotencyKey: $idempotencyKey }) {
      execution {
        id
        status
      }
    }
  }
`);

const WatchRun = graphql(`
  subscription WatchRun($id: ID!) {
    executionUpdated(id: $id) {
      id
      status
      errorMessage
      logs {
        nodeId
        status
      }
    }
  }
`);

export type RunUpdate = WatchRunSubscription['executionUpdated'];

/** Starts a run of the workflow; the key makes a retry of this call safe (it returns the same run). */
export async function startRun(url: string, token: string, workflowId: string): Promise<string> {
  const data = await request(url, token, StartRun, { workflowId, idempotencyKey: crypto.randomUUID() });
  return data.executeWorkflow.execution.id;
}

/** Every update of a run until its last status; throws the stream's error (e.g. `NOT_FOUND: ...`). */
export async function* watchRun(url: string, token: string, id: string): AsyncGenerator<RunUpdate> {
  const client = createClient({ url, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  try {
    const updates = client.iterate<WatchRunSubscription>({ query: print(WatchRun), variables: { id } });
    for await (const result of updates) {
      if (result.errors?.length || !result.data) {
        throw new GraphQLRequestError(result.errors?.map((e) => `${String(e.extensions?.code)}: ${e.message}`).join('; ') ?? 'no data');
      }
      yield result.data.executionUpdated;
    }
  } finally {
    client.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, token, workflowId] = process.argv.slice(2);
  if (!url || !token || !workflowId) {
    console.error('usage: watch-run.ts <graphql-url> <bearer-token> <workflow-id>');
    process.exit(2);
  }
  const id = await startRun(url, token, workflowId);
  console.log(`started ${id}`);
  let last: RunUpdate | undefined;
  for await (const run of watchRun(url, token, id)) {
    last = run;
    console.log(`${run.status.padEnd(9)}  ${run.logs.length} steps${run.errorMessage ? `  ${run.errorMessage}` : ''}`);
  }
  console.log(`${id} ended ${last?.status ?? 'without an update'}`);
}
