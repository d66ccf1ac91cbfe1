/**
 * The request's DataLoaders, built in the context factory from that request's client, never at
 * module level: nothing here outlives one request or is seen by another token (graphql/dataloader
 * README, "Creating a new DataLoader per request"). Each batch function answers every key with a
 * value or its own Error, so one 404 or 503 does not fail its siblings. Identical keys in one
 * request are fetched once; the client's limit bounds how many run at once.
 *
 * `executions` holds whole connections, keyed by workflow and arguments: each `executions` field
 * is planned and resolved once per request, whether `workflow(id)` starts it early or the field
 * itself asks first, and both see the same answer (a 404 included).
 */
import DataLoader from 'dataloader';
import type { AltostratClient } from './upstream/client.js';
import type { RunPageRecord, RunRecord, WorkflowRecord } from './upstream/records.js';
import type { PageSizeMemory } from './upstream/page-size.js';
import type { CursorCodec } from './pagination/cursor.js';
import type { Connection, PageArgs } from './pagination/plan.js';
import { pagedListRequest, resolvePagedList } from './pagination/paged-list.js';

export interface RunPageKey {
  workflowId: string;
  page: number;
}

export interface ExecutionsKey {
  workflowId: string;
  args: PageArgs;
  /** Only `totalCount` is asked: no run is needed, one page answers it. */
  countOnly: boolean;
}

export type ExecutionConnection = Connection<RunRecord>;

export interface Loaders {
  workflow: DataLoader<string, WorkflowRecord | null>;
  run: DataLoader<string, RunRecord | null>;
  runPage: DataLoader<RunPageKey, RunPageRecord | null, string>;
  /** A workflow's executions connection, resolved; null when the workflow does not exist. */
  executions: DataLoader<ExecutionsKey, ExecutionConnection | null, string>;
  /** The organisation's workflows, fetched at most once per request. */
  workflowList(): Promise<WorkflowRecord[]>;
}

/** Who wants to know how the loaders are used: batch sizes, and loads served from the cache. */
export interface LoaderObserver {
  batch(loader: LoaderName, size: number): void;
  cacheHit(loader: LoaderName): void;
}
export type LoaderName = 'workflow' | 'run' | 'runPage';

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

/** A batch function that runs every key's call at once and answers each with its value or its Error. */
function settleEach<K, V>(call: (key: K) => Promise<V>, onBatch?: (size: number) => void) {
  return (keys: readonly K[]): Promise<Array<V | Error>> => {
    onBatch?.(keys.length);
    // An argument error thrown before the call's promise exists belongs to that key alone too.
    return Promise.all(keys.map((key) => Promise.resolve(key).then(call).catch((error: unknown) => asError(error))));
  };
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export interface LoaderDependencies {
  client: AltostratClient;
  codec: CursorCodec;
  pageSize: PageSizeMemory;
  observer: LoaderObserver;
}

export function createLoaders({ client, codec, pageSize, observer }: LoaderDependencies): Loaders {
  const fetchLoader = <K, V>(name: LoaderName, call: (key: K) => Promise<V>, cacheKeyFn?: (key: K) => string) =>
    new DataLoader<K, V, string>(settleEach(call, (size) => observer.batch(name, size)), {
      cacheMap: new ObservedCache<Promise<V>>(name, observer),
      ...(cacheKeyFn && { cacheKeyFn }),
    });

  const run = fetchLoader('run', (id: string) => client.getRun(id));
  const workflow = fetchLoader('workflow', (id: string) => client.getWorkflow(id));
  const runPage = fetchLoader(
    'runPage',
    async ({ workflowId, page }: RunPageKey) => {
      const answer = await client.listExecutions(workflowId, page);
      // A list item with its logs is the whole run: later lookups of it in this request need no call.
      for (const item of answer?.items ?? []) if (item.logs !== undefined) run.prime(item.id, item);
      return answer;
    },
    ({ workflowId, page }) => `${workflowId}:${page}`,
  );
  const executions = new DataLoader<ExecutionsKey, ExecutionConnection | null, string>(
    settleEach(({ workflowId, args, countOnly }) => {
      const request = pagedListRequest(workflowId, args, codec, countOnly);
      const fetchPage = (page: number, fresh: boolean) => {
        const key = { workflowId, page };
        if (fresh) runPage.clear(key);
        return runPage.load(key);
      };
      return resolvePagedList(request, fetchPage, pageSize.perPage, codec);
    }),
    {
      cacheKeyFn: ({ workflowId, args, countOnly }) =>
        JSON.stringify([workflowId, args.first ?? null, args.after ?? null, args.last ?? null, args.before ?? null, countOnly]),
    },
  );
  let workflows: Promise<WorkflowRecord[]> | undefined;
  return {
    run,
    workflow,
    runPage,
    executions,
    workflowList: () => (workflows ??= client.listWorkflows()),
  };
}
