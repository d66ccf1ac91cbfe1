/**
 * A typed client of the gateway, as a frontend team would write one: documents typed by
 * graphql-codegen's client preset (`npm run codegen` writes ./gql from the gateway's schema), sent
 * with plain fetch, paging through a workflow's executions with `endCursor` until `hasNextPage` is
 * false.
 *
 *   npx tsx examples/web-client/src/page-executions.ts <graphql-url> <bearer-token> [workflow-id]
 */
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { graphql } from './gql/index.js';
import type { ExecutionsPageQuery } from './gql/graphql.js';

const Workflows = graphql(`
  query Workflows {
    workflows(first: 10) {
      nodes {
        id
        name
      }
    }
  }
`);

const ExecutionsPage = graphql(`
  query ExecutionsPage($id: ID!, $after: String) {
    workflow(id: $id) {
      name
      executions(first: 25, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          status
          startedAt
          durationInSeconds
          logs {
            nodeId
            status
          }
        }
      }
    }
  }
`);

export class GraphQLRequestError extends Error {}

/** Sends one typed operation; the result's type follows from the document. */
export async function request<Result, Variables>(
  url: string,
  token: string,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length || !body.data) {
    throw new GraphQLRequestError(body.errors?.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ') ?? `HTTP ${response.status}`);
  }
  return body.data;
}

export interface ExecutionLine {
  id: string;
  status: string;
  startedAt: string | null;
  steps: number;
}

/** Every execution of a workflow, newest first, one page at a time. */
export async function* executionsOf(url: string, token: string, workflowId: string): AsyncGenerator<ExecutionLine> {
  let after: string | null = null;
  for (;;) {
    const data: ExecutionsPageQuery = await request(url, token, ExecutionsPage, { id: workflowId, after });
    const connection = data.workflow?.executions;
    if (!connection) throw new GraphQLRequestError(`No workflow ${workflowId}`);
    for (const run of connection.nodes) {
      yield { id: run.id, status: run.status, startedAt: run.startedAt ?? null, steps: run.logs.length };
    }
    if (!connection.pageInfo.hasNextPage) return;
    after = connection.pageInfo.endCursor ?? null;
  }
}

export async function firstWorkflowId(url: string, token: string): Promise<string> {
  const data = await request(url, token, Workflows, {});
  const first = data.workflows.nodes[0];
  if (!first) throw new GraphQLRequestError('This token sees no workflows');
  return first.id;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, token, workflowId] = process.argv.slice(2);
  if (!url || !token) {
    console.error('usage: page-executions.ts <graphql-url> <bearer-token> [workflow-id]');
    process.exit(2);
  }
  let count = 0;
  for await (const run of executionsOf(url, token, workflowId ?? (await firstWorkflowId(url, token)))) {
    count++;
    console.log(`${run.id}  ${run.status.padEnd(23)}  ${run.startedAt ?? '-'}  ${run.steps} steps`);
  }
  console.log(`${count} executions`);
}
