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

/** Who wants to know how the loaders are used: batch sizes, and loads served from the cache. */
export interface LoaderObserver {
  batch(loader: LoaderName, size: number): void;
  cacheHit(loader: LoaderName): void;
}
export type LoaderName = 'workflow' | 'run' | 'executionsPage';

/** The loader's cache, telling the observer of each hit. */
class ObservedCache<V> extends Map<string, V> {
  constructor(
    private readonly loader: LoaderName,
    private readonly observer: LoaderObserver,
  ) {
    super();
  }
  override get(key: string): V | undefined {
    const value = super.get(key);
    if (value !== undefined) this.observer.cacheHit(this.loader);
    return value;
  }
}

/** Runs every call of a batch at once and answers each with its value or its Error. */
function each<K, V>(loader: LoaderName, observer: LoaderObserver, call: (key: K) => Promise<V>) {
  return (keys: readonly K[]): Promise<Array<V | Error>> => {
    observer.batch(loader, keys.length);
    return Promise.all(keys.map((key) => call(key).catch((error: unknown) => asError(error))));
  };
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export function createLoaders(client: AltostratClient, pageSizeHint: PageSizeHint, observer: LoaderObserver): Loaders {
  const cacheMap = <V>(loader: LoaderName) => new ObservedCache<Promise<V>>(loader, observer);
  const run = new DataLoader(
    each('run', observer, (id: string) => client.getRun(id)),
    { cacheMap: cacheMap<RunRecord | null>('run') },
  );
  const workflow = new DataLoader(
    each('workflow', observer, (id: string) => client.getWorkflow(id)),
    { cacheMap: cacheMap<WorkflowRecord | null>('workflow') },
  );
  const executionsPage = new DataLoader(
    each('executionsPage', observer, async ({ workflowId, page }: PageKey) => {
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
    { cacheKeyFn: ({ workflowId, page }) => `${workflowId}:${page}`, cacheMap: cacheMap<RunPageRecord | null>('executionsPage') },
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
