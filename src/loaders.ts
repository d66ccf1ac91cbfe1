/**
 * The request's DataLoaders, built in the context factory from that request's client, never at
 * module level: nothing here outlives one request or is seen by another token (graphql/dataloader
 * README, "Creating a new DataLoader per request"). Each batch function answers every key with a
 * value or its own Error, so one 404 or 503 does not fail its siblings. Identical keys in one
 * request are fetched once; the client's limit bounds how many run at once.
 */
import DataLoader from 'dataloader';
import type { AltostratClient } from './upstream/client.js';
import type { RunPageRecord, RunRecord, WorkflowRecord } from './upstream/records.js';
import type { FetchPage, PageSizeHint } from './pagination/connection.js';

export interface PageKey {
  workflowId: string;
  page: number;
}

export interface Loaders {
  workflow: DataLoader<string, WorkflowRecord | null>;
  run: DataLoader<string, RunRecord | null>;
  executionsPage: DataLoader<PageKey, RunPageRecord | null, string>;
  /** The organisation's workflows, fetched at most once per request. */
  workflowList(): Promise<WorkflowRecord[]>;
}

/** Runs every call at once and answers each with its value or its Error. */
const each =
  <K, V>(call: (key: K) => Promise<V>) =>
  (keys: readonly K[]): Promise<Array<V | Error>> =>
    Promise.all(keys.map((key) => call(key).catch((error: unknown) => asError(error))));

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export function createLoaders(client: AltostratClient, pageSizeHint: PageSizeHint): Loaders {
  const run = new DataLoader(each((id: string) => client.getRun(id)));
  const workflow = new DataLoader(each((id: string) => client.getWorkflow(id)));
  const executionsPage = new DataLoader(
    each(async ({ workflowId, page }: PageKey) => {
      const record = await client.listExecutions(workflowId, page);
      if (record === null) return null;
      pageSizeHint.perPage = record.perPage;
      for (const item of record.runs) {
        item.workflowId = workflowId;
        // A list item with its logs is the whole run: later lookups of it in this request need no call.
        if (item.logs !== undefined) run.prime(item.id, item);
      }
      return record;
    }),
    { cacheKeyFn: ({ workflowId, page }) => `${workflowId}:${page}` },
  );
  let workflows: Promise<WorkflowRecord[]> | undefined;
  return {
    run,
    workflow,
    executionsPage,
    workflowList: () => (workflows ??= client.listWorkflows()),
  };
}

/** Pages of one workflow's runs for resolveExecutions, through the request's cache. */
export function executionsPages(loaders: Loaders, workflowId: string): FetchPage {
  return (page, fresh) => {
    const key = { workflowId, page };
    if (fresh) loaders.executionsPage.clear(key);
    return loaders.executionsPage.load(key);
  };
}
