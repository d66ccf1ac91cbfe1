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
 *
 * `run` may answer from the memory of finished runs (upstream/finished-runs.ts), and only for a
 * run that a list page read by this request, with its token, showed finished: that page is the
 * proof that the token may still see the run and that it still exists. Any other run, and any run
 * without such proof (`execution(id)`, `node(id)`, `_entities`), is read from Altostrat, and a
 * finished one read whole refreshes the memory.
 */
import DataLoader from 'dataloader';
import type { AltostratClient, Answered } from './upstream/client.js';
import { routeOf, type EndpointName, type ReadById, type Route } from './catalogue/endpoints.js';
import type {
  AuthorizationRecord,
  LogListRecord,
  RunPageRecord,
  RunRecord,
  RunStatus,
  TriggerableWorkflowRecord,
  VaultItemRecord,
  WorkflowRecord,
} from './upstream/records.js';
import type { ListMemory } from './upstream/list-memory.js';
import { isFinished, type TokenFinishedRuns } from './upstream/finished-runs.js';
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
  /** A workflow of `workflowList()`, once that has been read in this request: a list item (no graph). */
  listedWorkflow(id: string): WorkflowRecord | undefined;
  /**
   * One loader per by-id read of the catalogue (a workflow's stats or log list, a vault item):
   * each resource read at most once per request; null when Altostrat has no such resource.
   */
  byId<N extends ReadById>(endpoint: N): DataLoader<string, Answered<N>>;
  recentLogs: Once<LogListRecord>;
  triggerableWorkflows: Once<TriggerableWorkflowRecord[]>;
  vaultItems: Once<VaultItemRecord[]>;
  authorizations: Once<AuthorizationRecord[]>;
  /** Forgets `workflowList()`, so that the next read after a write calls again. */
  clearWorkflowList(): void;
  /** Forgets which runs this request's list pages showed finished: none may come from memory now. */
  clearFinishedProofs(): void;
}

/** A list read at most once per request, until a write makes it stale. */
export interface Once<T> {
  load(): Promise<T>;
  clear(): void;
}

function once<T>(read: () => Promise<T>): Once<T> {
  let answer: Promise<T> | undefined;
  return {
    load: () => (answer ??= read()),
    clear: () => {
      answer = undefined;
    },
  };
}

/** Who wants to know how the loaders are used: batch sizes, and loads served from the cache (by the route they spared). */
export interface LoaderObserver {
  batch(loader: LoaderName, size: number): void;
  cacheHit(route: Route): void;
  /** A run served from the memory of finished runs. */
  remembered(runId: string): void;
}
/** The loaders that fetch one record or page by key, and the endpoint each reads. */
const FETCHES = { workflow: 'getWorkflow', run: 'getRun', runPage: 'listExecutions' } as const satisfies Record<string, EndpointName>;
export type LoaderName = keyof typeof FETCHES;

/** The loader's cache, telling the observer of each hit. */
class ObservedCache<V> extends Map<string, V> {
  readonly #route: Route;
  constructor(
    loader: LoaderName,
    private readonly observer: LoaderObserver,
  ) {
    super();
    this.#route = routeOf(FETCHES[loader]);
  }
  override get(key: string): V | undefined {
    const value = super.get(key);
    if (value !== undefined) this.observer.cacheHit(this.#route);
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
  /** What answers said of the run lists, and the tenant (token's keyed hash) whose lists' totals this request may plan with. */
  lists: ListMemory;
  tenant: string;
  observer: LoaderObserver;
  /** The memory of finished runs as this request's token may use it; undefined when off or without a token. */
  finishedRuns?: TokenFinishedRuns | undefined;
}

export function createLoaders({ client, codec, lists, tenant, observer, finishedRuns }: LoaderDependencies): Loaders {
  const fetchLoader = <K, V>(name: LoaderName, call: (key: K) => Promise<V>, cacheKeyFn?: (key: K) => string) =>
    new DataLoader<K, V, string>(settleEach(call, (size) => observer.batch(name, size)), {
      cacheMap: new ObservedCache<Promise<V>>(name, observer),
      ...(cacheKeyFn && { cacheKeyFn }),
    });

  // The runs this request's list pages showed finished, with that status: the proof a remembered run needs.
  const finishedProofs = new Map<string, RunStatus>();
  // Whole runs from list pages read before anything asked for the run loader: it is primed with
  // them when made. Most requests that list runs never look one up by id, and pay nothing.
  let listedRuns: RunRecord[] | undefined = [];
  const primeRun = (item: RunRecord) => {
    if (listedRuns) listedRuns.push(item);
    else run().prime(item.id, item);
  };
  const run = lazy(() => {
    const loader = fetchLoader('run', async (id: string) => {
      const proven = finishedProofs.get(id);
      const remembered = proven && finishedRuns?.recall(id, proven);
      if (remembered) {
        observer.remembered(id);
        return remembered;
      }
      const answer = await client.getRun(id);
      if (answer) finishedRuns?.remember(answer);
      return answer;
    });
    for (const item of listedRuns!) loader.prime(item.id, item);
    listedRuns = undefined;
    return loader;
  });
  const workflow = lazy(() => fetchLoader('workflow', (id: string) => client.getWorkflow(id)));
  // Pages asked for afresh whose batch has not gone out yet: another read asking for one afresh
  // meanwhile (two connections of one list starting over together) takes that load, no older
  // than its own would be.
  let freshPages: Map<string, Promise<RunPageRecord | null>> | undefined;
  const pageKey = ({ workflowId, page }: RunPageKey): string => `${workflowId}:${page}`;
  const runPage = lazy(() =>
    fetchLoader(
      'runPage',
      async (key: RunPageKey) => {
        freshPages?.delete(pageKey(key));
        const answer = await client.listExecutions(key.workflowId, key.page);
        // A list item with its logs is the whole run: later lookups of it in this request need no call.
        for (const item of answer?.items ?? []) {
          if (item.logs !== undefined) primeRun(item);
          else if (isFinished(item.status)) finishedProofs.set(item.id, item.status);
        }
        return answer;
      },
      pageKey,
    ),
  );
  const executions = lazy(
    () =>
      new DataLoader<ExecutionsKey, ExecutionConnection | null, string>(
        settleEach(({ workflowId, args, countOnly }) => {
          const request = pagedListRequest(workflowId, args, codec, countOnly);
          const fetchPage = (page: number, fresh: boolean) => {
            const key = { workflowId, page };
            if (!fresh) return runPage().load(key);
            freshPages ??= new Map();
            let load = freshPages.get(pageKey(key));
            if (!load) freshPages.set(pageKey(key), (load = runPage().clear(key).load(key)));
            return load;
          };
          return resolvePagedList(request, fetchPage, { perPage: lists.perPage, total: lists.total(tenant, workflowId) }, codec);
        }),
        {
          // Each connection answers as soon as it is whole: a batch answers all its keys at once, so
          // one that takes one wave would wait for another that takes two (`last` without a cursor),
          // and so would every call its runs make next. The pages themselves are batched (runPage).
          batch: false,
          cacheKeyFn: ({ workflowId, args, countOnly }) =>
            JSON.stringify([workflowId, args.first ?? null, args.after ?? null, args.last ?? null, args.before ?? null, countOnly]),
        },
      ),
  );
  const byId = new Map<ReadById, DataLoader<string, unknown>>();
  const recentLogs = lazy(() => once(() => client.listRecentLogs()));
  const triggerableWorkflows = lazy(() => once(() => client.listTriggerableWorkflows()));
  const vaultItems = lazy(() => once(() => client.listVaultItems()));
  const authorizations = lazy(() => once(() => client.listAuthorizations()));
  let workflows: Promise<WorkflowRecord[]> | undefined;
  let listed: Map<string, WorkflowRecord> | undefined;
  // Each loader is made when first used: most requests use two or three of them, and an idle
  // subscription's request none (its events get loaders of their own).
  return new RequestLoaders(
    { run, workflow, runPage, executions, recentLogs, triggerableWorkflows, vaultItems, authorizations },
    {
      byId: <N extends ReadById>(endpoint: N) => {
        let loader = byId.get(endpoint);
        if (!loader) byId.set(endpoint, (loader = new DataLoader<string, unknown>(settleEach((id: string) => client.read(endpoint, id)))));
        return loader as DataLoader<string, Answered<N>>;
      },
      workflowList: () =>
        (workflows ??= client.listWorkflows().then((list) => {
          listed = new Map(list.map((workflow) => [workflow.id, workflow]));
          return list;
        })),
      listedWorkflow: (id) => listed?.get(id),
      clearWorkflowList: () => {
        workflows = undefined;
        listed = undefined;
      },
      clearFinishedProofs: () => finishedProofs.clear(),
    },
  );
}

type MadeOnFirstUse = 'run' | 'workflow' | 'runPage' | 'executions' | 'recentLogs' | 'triggerableWorkflows' | 'vaultItems' | 'authorizations';
type Makers = { [K in MadeOnFirstUse]: () => Loaders[K] };
type Eager = Omit<Loaders, MadeOnFirstUse>;

/**
 * A request's loaders, the lazy ones behind a prototype's getters: an object literal's getters
 * would keep the request alive through scavenges (see LazyEdge in pagination/plan.ts).
 */
class RequestLoaders implements Loaders {
  readonly #make: Makers;
  readonly byId: Eager['byId'];
  readonly workflowList: Eager['workflowList'];
  readonly listedWorkflow: Eager['listedWorkflow'];
  readonly clearWorkflowList: Eager['clearWorkflowList'];
  readonly clearFinishedProofs: Eager['clearFinishedProofs'];

  constructor(make: Makers, eager: Eager) {
    this.#make = make;
    this.byId = eager.byId;
    this.workflowList = eager.workflowList;
    this.listedWorkflow = eager.listedWorkflow;
    this.clearWorkflowList = eager.clearWorkflowList;
    this.clearFinishedProofs = eager.clearFinishedProofs;
  }

  get run() {
    return this.#make.run();
  }
  get workflow() {
    return this.#make.workflow();
  }
  get runPage() {
    return this.#make.runPage();
  }
  get executions() {
    return this.#make.executions();
  }
  get recentLogs() {
    return this.#make.recentLogs();
  }
  get triggerableWorkflows() {
    return this.#make.triggerableWorkflows();
  }
  get vaultItems() {
    return this.#make.vaultItems();
  }
  get authorizations() {
    return this.#make.authorizations();
  }
}

/** A value made on first use, then kept. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/*
 * After a write, what the rest of the request reads must be the written state (docs/guarantees.md,
 * "Writes", fresh results): each write primes the loaders with what Altostrat answered, and
 * forgets what it made stale. One function per kind of write, so that resolvers cannot forget one.
 */

/**
 * A workflow created or changed: its record is the answer (fetched again for its graph when the
 * answer left it out: docs/upstream.md); lists holding it are stale.
 */
export function workflowWritten(loaders: Loaders, record: WorkflowRecord): void {
  loaders.workflow.clear(record.id);
  if (record.graph) loaders.workflow.prime(record.id, record);
  loaders.clearWorkflowList();
  loaders.triggerableWorkflows.clear();
}

/** A workflow deleted, with its runs and logs: nothing cached of it, or of any run, holds. */
export function workflowDeleted(loaders: Loaders, workflowId: string): void {
  loaders.workflow.clear(workflowId).prime(workflowId, null);
  loaders.byId('listWorkflowLogs').clear(workflowId).prime(workflowId, null);
  loaders.byId('getWorkflowStats').clear(workflowId).prime(workflowId, null);
  loaders.run.clearAll();
  loaders.runPage.clearAll();
  loaders.executions.clearAll();
  loaders.clearFinishedProofs();
  loaders.clearWorkflowList();
  loaders.triggerableWorkflows.clear();
  loaders.recentLogs.clear();
}

/** The run a write started, whether it was sent with an idempotency key, and the run it started from (rerun, resume). */
export interface StartedRun {
  run: RunRecord;
  keyed: boolean;
  from?: string;
}

/**
 * A run started (execute, rerun, resume, sync): run lists, logs and stats of some workflow moved,
 * and the run it started from is newer than any copy read before. The new run's answer is what the
 * request reads of it next, unless it was sent with a key: Altostrat answers a repeated key with
 * its first answer, which may be long out of date, so that run is read afresh when asked for.
 */
export function runStarted(loaders: Loaders, started?: StartedRun): void {
  loaders.runPage.clearAll();
  loaders.clearFinishedProofs();
  loaders.executions.clearAll();
  loaders.byId('listWorkflowLogs').clearAll();
  loaders.byId('getWorkflowStats').clearAll();
  loaders.recentLogs.clear();
  if (!started) return;
  const { run, keyed, from } = started;
  if (from !== undefined) loaders.run.clear(from);
  loaders.run.clear(run.id);
  if (!keyed && run.logs !== undefined) loaders.run.prime(run.id, run);
}

/** A vault item created or replaced (null: deleted). */
export function vaultItemWritten(loaders: Loaders, id: string, record: VaultItemRecord | null): void {
  loaders.byId('getVaultItem').clear(id).prime(id, record);
  loaders.vaultItems.clear();
}
