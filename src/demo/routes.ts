// The Workflows API as a route table, dispatched the way Laravel does it: match the path, then the
// method (405 with `Allow` when only other methods match), then the bearer token (401 unknown or
// missing, 403 suspended), then the handler. Every handler answers for the caller's organisation
// only, so another organisation's object is a 404 like a missing one.

import { DEMO_TOKENS, timestamp, ulid } from './seed.js';
import type { EdgeJson, NodeJson, Rng, RunJson, VaultItemJson, WorkflowJson } from './seed.js';
import { invalid, invalidField, laravelMessage, message } from './laravel.js';
import type { Answer } from './laravel.js';
import type { Engine } from './live.js';
import type { Store, WorkflowEntry } from './store.js';
import { API_KEY_PREFIX, fieldsOf, hasErrors, validateContext, validateVaultItem, validateWorkflow } from './validation.js';

export interface Request {
  /** The caller's organisation; '' on a public route. */
  orgId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON, raw text when it was not JSON, undefined when there was none. */
  body: unknown;
  idempotencyKey: string | undefined;
  method: string;
  path: string;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Segments after the leading slash; `:name` binds a parameter. */
  pattern: string;
  /** No bearer token: the path authenticates (the webhook trigger). */
  public?: boolean;
  handler: (req: Request) => Answer | Promise<Answer>;
}

export interface RouteDeps {
  store: Store;
  engine: Engine;
  rng: Rng;
  now: () => number;
  /** The simulator's base URL, for paginator links and webhook URLs. */
  baseUrl: () => string;
  pageSize: () => number;
  inlineLogs: () => boolean;
  listWorkflowGraph: () => boolean;
}

export type Dispatch = { route: Route; params: Record<string, string>; orgId: string } | Answer;

/** Route, then method, then auth, as Laravel's router and auth middleware do. */
export function dispatch(routes: readonly Route[], store: Store, method: string, pathname: string, authorization: string | undefined): Dispatch {
  const routeName = pathname.replace(/^\//, '');
  let segments: string[];
  try {
    segments = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return message(404, `The route ${routeName} could not be found.`);
  }
  const matches = routes.flatMap((route) => {
    const params = bind(route.pattern, segments);
    return params ? [{ route, params }] : [];
  });
  if (matches.length === 0) return message(404, `The route ${routeName} could not be found.`);
  const found = matches.find((m) => m.route.method === method);
  if (!found) {
    const allow = [...new Set(matches.map((m) => m.route.method))].join(', ');
    return { ...message(405, `The ${method} method is not supported for route ${routeName}. Supported methods: ${allow}.`), headers: { allow } };
  }
  if (found.route.public) return { ...found, orgId: '' };
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (token === DEMO_TOKENS.suspended) return message(403, laravelMessage(403));
  const orgId = token === undefined ? undefined : store.orgOf(token);
  if (orgId === undefined) return message(401, laravelMessage(401));
  return { ...found, orgId };
}

function bind(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return params;
}

const PAGE_ERROR = 'The page field must be an integer.';
const RECENT_LOGS = 200;
const DAY = 24 * 60 * 60 * 1000;
const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'awaiting_ui_interaction'] as const;

const notFound = {
  workflow: message(404, 'Workflow not found.'),
  run: message(404, 'Run not found.'),
  vault: message(404, 'Vault item not found.'),
  authorization: message(404, 'Authorization not found.'),
  webhook: message(404, 'Webhook not found.'),
};
const ok = (body: unknown, status = 200): Answer => ({ status, body });
const noContent: Answer = { status: 204, body: undefined };

type Definition = Omit<WorkflowJson, 'id' | 'created_at' | 'updated_at' | 'next_run_at'>;

const NEW_WORKFLOW: Definition = { name: '', description: null, nodes: [], edges: [], schedule_type: 'manual', schedule_value: null, is_active: true, webhook_url: null };

/** The fields a workflow definition may set; anything else in a body is ignored, as Laravel's `validated()` does. */
const DEFINITION_FIELDS = ['name', 'description', 'authorization_id', 'nodes', 'edges', 'is_active', 'schedule_type', 'schedule_value'] as const;

export function createRoutes(deps: RouteDeps): Route[] {
  const { store, engine, rng, now } = deps;
  const stamp = () => timestamp(now());
  const authorizationIds = (orgId: string) => new Set(store.authorizationsOf(orgId).map((a) => a.id));
  const triggerOf = (workflow: Pick<WorkflowJson, 'nodes'>) => workflow.nodes.find((node) => node.type === 'trigger');

  function withWorkflow<A extends Answer | Promise<Answer>>(handle: (req: Request, entry: WorkflowEntry) => A) {
    return (req: Request): A | Answer => {
      const entry = store.workflow(req.orgId, req.params.workflowId ?? '');
      return entry ? handle(req, entry) : notFound.workflow;
    };
  }

  // The same key from the same organisation within 24 hours answers what the first request got
  // (status and body as they were then) and creates nothing; a key reused on another route is a 422.
  function idempotent(handle: (req: Request) => Answer) {
    return (req: Request): Answer => {
      const key = req.idempotencyKey;
      if (!key) return handle(req);
      const seen = store.recall(req.orgId, key, now());
      if (seen) {
        return seen.method === req.method && seen.path === req.path
          ? structuredClone(seen.answer)
          : invalidField('idempotency_key', 'The idempotency key was already used for another request.');
      }
      const answer = handle(req);
      if (answer.status < 300) store.remember(req.orgId, key, { method: req.method, path: req.path, answer: structuredClone(answer), at: now() });
      return answer;
    };
  }

  function webhookUrl(nodes: NodeJson[], current: string | null): string | null {
    if (triggerOf({ nodes })?.data.componentId !== 'webhook_trigger') return null;
    return current ?? `${deps.baseUrl()}/workflows/webhooks/whk_${ulid(now(), rng)}`;
  }

  /** A validated definition stored: the fields sent over `current`'s, or over the defaults on create. */
  function definition(input: Record<string, unknown>, current: Definition = NEW_WORKFLOW): Definition {
    const sent = <K extends keyof Definition>(field: K, read: (value: unknown) => Definition[K]): Definition[K] => (field in input ? read(input[field]) : current[field]);
    const nodes = sent('nodes', (value) =>
      (value as Array<Record<string, unknown>>).map((node) => ({
        id: String(node.id),
        type: String(node.type),
        position: (node.position as NodeJson['position'] | undefined) ?? { x: 0, y: 0 },
        data: node.data as NodeJson['data'],
      })),
    );
    return {
      name: sent('name', String),
      description: sent('description', (value) => (value as string | null | undefined) ?? null),
      nodes,
      edges: sent('edges', (value) =>
        ((value as Array<Record<string, unknown>> | null) ?? []).map((edge) => ({
          id: typeof edge.id === 'string' ? edge.id : `e_${String(edge.source)}_${String(edge.target)}`,
          source: String(edge.source),
          target: String(edge.target),
          sourceHandle: (edge.sourceHandle as EdgeJson['sourceHandle'] | undefined) ?? null,
        })),
      ),
      schedule_type: sent('schedule_type', (value) => (value as WorkflowJson['schedule_type'] | undefined) ?? null),
      schedule_value: sent('schedule_value', (value) => (value as string | null | undefined) ?? null),
      is_active: sent('is_active', Boolean),
      webhook_url: webhookUrl(nodes, current.webhook_url),
    };
  }

  function pick(input: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(DEFINITION_FIELDS.filter((field) => field in input).map((field) => [field, input[field]]));
  }

  function executionsPage(entry: WorkflowEntry, page: number): Answer {
    const perPage = deps.pageSize();
    const total = entry.runs.length;
    const lastPage = Math.max(1, Math.ceil(total / perPage));
    const offset = (page - 1) * perPage;
    const data = entry.runs.slice(offset, offset + perPage).map(asListed);
    const path = `${deps.baseUrl()}/workflows/${encodeURIComponent(entry.workflow.id)}/executions`;
    const pageUrl = (n: number) => `${path}?page=${n}`;
    return ok({
      data,
      links: {
        first: pageUrl(1),
        last: pageUrl(lastPage),
        // Laravel's prevPageUrl() only checks currentPage > 1, so a page past the end still has one.
        prev: page > 1 ? pageUrl(page - 1) : null,
        next: page < lastPage ? pageUrl(page + 1) : null,
      },
      meta: {
        current_page: page,
        from: data.length > 0 ? offset + 1 : null,
        last_page: lastPage,
        path,
        per_page: perPage,
        to: data.length > 0 ? offset + data.length : null,
        total,
      },
    });
  }

  /** A run as a list item, or as a write that started it answers: without `logs` unless they are inline. */
  function asListed(run: RunJson): Omit<RunJson, 'logs'> & { logs?: RunJson['logs'] } {
    if (deps.inlineLogs()) return run;
    const { logs: _logs, ...rest } = run;
    return rest;
  }

  function stats(entry: WorkflowEntry): Answer {
    const logStatuses: Record<string, number> = { success: 0, error: 0, warning: 0 };
    for (const run of entry.runs) for (const log of run.logs) logStatuses[log.status] = (logStatuses[log.status] ?? 0) + 1;
    const recentRuns: Record<string, number> = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0]));
    const since = now() - 30 * DAY;
    for (const run of entry.runs) if (Date.parse(run.started_at ?? '') >= since) recentRuns[run.status] = (recentRuns[run.status] ?? 0) + 1;
    const completed = entry.runs.filter((run) => run.status === 'completed').length;
    const finished = completed + entry.runs.filter((run) => run.status === 'failed').length;
    return ok({
      log_statuses: logStatuses,
      recent_runs: recentRuns,
      total_runs: entry.runs.length,
      success_rate: finished === 0 ? null : Math.round((completed / finished) * 1000) / 10,
    });
  }

  const startWith = (entry: WorkflowEntry, context: Record<string, unknown>, status: number, text?: string): Answer => {
    if (!entry.workflow.is_active) return invalidField('workflow', 'The workflow is not active.');
    const run = engine.start(entry, { context });
    return ok(text === undefined ? asListed(run) : { message: text, new_run: asListed(run) }, status);
  };

  function vaultAnswer(orgId: string, input: Record<string, unknown>, current: VaultItemJson | undefined): Answer {
    const errors = validateVaultItem(input, now(), current !== undefined);
    if (hasErrors(errors)) return invalid(errors);
    const name = String(input.name);
    const generate = current === undefined && name.startsWith(API_KEY_PREFIX) && (typeof input.secret !== 'string' || input.secret === '');
    const apiKey = generate ? `wfk_${Array.from({ length: 40 }, () => Math.floor(rng() * 16).toString(16)).join('')}` : undefined;
    const item: VaultItemJson = {
      id: current?.id ?? `vlt_${ulid(now(), rng)}`,
      name,
      created_at: current?.created_at ?? stamp(),
      expires_at: typeof input.expires_at === 'string' ? timestamp(Date.parse(input.expires_at)) : null,
    };
    store.putVaultItem(orgId, item, apiKey ?? String(input.secret));
    // The reference says the generated key is "shown once" but not under which property: `api_key`.
    return current ? ok(item) : ok(apiKey === undefined ? item : { ...item, api_key: apiKey }, 201);
  }

  return [
    // Workflows
    {
      method: 'GET',
      pattern: 'workflows',
      handler: ({ orgId }) => {
        const workflows = store.workflows(orgId).map((entry) => entry.workflow);
        return ok(deps.listWorkflowGraph() ? workflows : workflows.map(({ nodes: _nodes, edges: _edges, ...rest }) => rest));
      },
    },
    {
      method: 'POST',
      pattern: 'workflows',
      handler: ({ orgId, body }) => {
        const input = pick(fieldsOf(body));
        const errors = validateWorkflow(input, { authorizationIds: authorizationIds(orgId) });
        if (hasErrors(errors)) return invalid(errors);
        const at = now();
        const workflow: WorkflowJson = { id: `fl_${ulid(at, rng)}`, ...definition(input), next_run_at: null, created_at: timestamp(at), updated_at: timestamp(at) };
        store.addWorkflow(orgId, workflow, String(input.authorization_id));
        return ok(workflow, 201);
      },
    },
    {
      // An invalid definition is answered 200 `valid: false` with every message; 422 is kept for
      // a body that is no definition at all (not an object, or without `name` or `nodes`).
      method: 'POST',
      pattern: 'workflows/validate',
      handler: ({ orgId, body }) => {
        const input = pick(fieldsOf(body));
        const errors = validateWorkflow(input, { authorizationIds: authorizationIds(orgId) });
        const missing = Object.fromEntries(Object.entries(errors).filter(([field]) => (field === 'name' || field === 'nodes') && input[field] == null));
        if (hasErrors(missing)) return invalid(missing);
        return ok({ valid: !hasErrors(errors), errors: Object.values(errors).flat() });
      },
    },
    {
      method: 'GET',
      pattern: 'workflows/triggerable-workflows',
      handler: ({ orgId }) =>
        ok(store.workflows(orgId).filter((entry) => entry.workflow.is_active).map(({ workflow }) => ({ id: workflow.id, name: workflow.name, description: workflow.description }))),
    },
    {
      method: 'POST',
      pattern: 'workflows/test-node',
      handler: ({ orgId, body }) => {
        const input = fieldsOf(body);
        const node = input.node;
        if (typeof node !== 'object' || node === null || Array.isArray(node)) return invalidField('node', 'The node field is required.');
        const fields = fieldsOf(node);
        const componentId = fieldsOf(fields.data).componentId;
        if (typeof componentId !== 'string') return invalidField('node.data.componentId', 'The node.data.componentId field is required.');
        if (input.authorization_id !== undefined && (typeof input.authorization_id !== 'string' || !authorizationIds(orgId).has(input.authorization_id))) {
          return invalidField('authorization_id', 'The selected authorization id is invalid.');
        }
        const context = fieldsOf(input.context);
        const nodeId = typeof fields.id === 'string' ? fields.id : null;
        // An echo, so a caller can see what the node was given: its data and its mocked input.
        return ok({ status: 'success', output: { node_id: nodeId, component_id: componentId, data: fields.data, input: nodeId === null ? null : (context[nodeId] ?? null) } });
      },
    },
    {
      method: 'GET',
      pattern: 'workflows/logs/recent',
      handler: ({ orgId }) => ok(store.logsOf(store.workflows(orgId)).slice(0, RECENT_LOGS)),
    },
    {
      method: 'POST',
      pattern: 'workflows/sync/:workflowId',
      handler: withWorkflow(async ({ body }, entry) => {
        if (triggerOf(entry.workflow)?.data.componentId !== 'sync_request_trigger') {
          return invalidField('workflow', 'Only a workflow that starts with a sync request trigger can be run synchronously.');
        }
        if (!entry.workflow.is_active) return invalidField('workflow', 'The workflow is not active.');
        const run = await engine.finished(engine.start(entry, { context: fieldsOf(body) }).id);
        if (run.status === 'failed') return message(500, run.error_message ?? 'The workflow failed.');
        const output = [...run.logs].reverse().find((log) => log.status === 'success')?.output;
        return ok(typeof output === 'object' && output !== null && !Array.isArray(output) ? output : { output: output ?? null });
      }),
    },
    {
      method: 'POST',
      pattern: 'workflows/webhooks/:webhookToken',
      public: true,
      handler: ({ params, body }) => {
        const token = params.webhookToken ?? '';
        const entry = store.allWorkflows().find((e) => e.workflow.webhook_url?.endsWith(`/webhooks/${token}`));
        if (!entry) return notFound.webhook;
        if (!entry.workflow.is_active) return invalidField('workflow', 'The workflow is not active.');
        const run = engine.start(entry, { context: fieldsOf(body) });
        return ok({ message: 'Webhook received.', execution_id: run.id }, 202);
      },
    },

    // Runs
    {
      method: 'GET',
      pattern: 'workflows/runs/:runId',
      handler: ({ orgId, params }) => {
        const found = store.run(orgId, params.runId ?? '');
        if (!found) return notFound.run;
        return ok({ ...found.run, workflow: { id: found.entry.workflow.id, name: found.entry.workflow.name } });
      },
    },
    {
      method: 'POST',
      pattern: 'workflows/runs/:runId/rerun',
      handler: idempotent(({ orgId, params }) => {
        const found = store.run(orgId, params.runId ?? '');
        if (!found) return notFound.run;
        if (found.run.status !== 'completed' && found.run.status !== 'failed') return invalidField('run', 'Only a completed or failed run can be rerun.');
        return startWith(found.entry, found.context, 202, 'The run was queued again with its original trigger payload.');
      }),
    },
    {
      method: 'POST',
      pattern: 'workflows/runs/:runId/resume-from/:nodeId',
      handler: idempotent(({ orgId, params }) => {
        const found = store.run(orgId, params.runId ?? '');
        if (!found) return notFound.run;
        if (found.run.status !== 'failed') return invalidField('run', 'Only a failed run can be resumed.');
        const at = found.run.logs.findIndex((log) => log.node_id === params.nodeId);
        if (at < 0 || found.run.logs[at]?.status !== 'success') return invalidField('node_id', 'A run can only resume from a node that succeeded in it.');
        const prefix = found.run.logs.slice(0, at + 1).map((log) => ({ ...structuredClone(log), id: `fl_log_${ulid(now(), rng)}`, created_at: stamp() }));
        const run = engine.start(found.entry, { context: found.context, prefix, mayDrawFailure: false });
        return ok({ message: `The run resumes after node ${params.nodeId}.`, new_run: asListed(run) }, 202);
      }),
    },

    // Vault
    { method: 'GET', pattern: 'workflows/vault', handler: ({ orgId }) => ok(store.vaultItems(orgId)) },
    { method: 'POST', pattern: 'workflows/vault', handler: ({ orgId, body }) => vaultAnswer(orgId, fieldsOf(body), undefined) },
    {
      method: 'GET',
      pattern: 'workflows/vault/:vaultId',
      handler: ({ orgId, params }) => {
        const item = store.vaultItem(orgId, params.vaultId ?? '');
        return item ? ok(item) : notFound.vault;
      },
    },
    {
      method: 'PUT',
      pattern: 'workflows/vault/:vaultId',
      handler: ({ orgId, params, body }) => {
        const item = store.vaultItem(orgId, params.vaultId ?? '');
        return item ? vaultAnswer(orgId, fieldsOf(body), item) : notFound.vault;
      },
    },
    {
      method: 'DELETE',
      pattern: 'workflows/vault/:vaultId',
      handler: ({ orgId, params }) => {
        const item = store.vaultItem(orgId, params.vaultId ?? '');
        if (!item) return notFound.vault;
        store.deleteVaultItem(item.id);
        return noContent;
      },
    },

    // Authorizations
    { method: 'GET', pattern: 'workflows/authorization', handler: ({ orgId }) => ok(store.authorizationsOf(orgId)) },
    {
      // The login flow itself happens at Altostrat; the simulator only hands out its URL.
      method: 'POST',
      pattern: 'workflows/authorization',
      handler: () => ok({ url: `https://auth.altostrat.io/oauth/authorize?state=${ulid(now(), rng)}` }),
    },
    {
      method: 'DELETE',
      pattern: 'workflows/authorization/:authId',
      handler: ({ orgId, params }) => (store.deleteAuthorization(orgId, params.authId ?? '') ? noContent : notFound.authorization),
    },

    // One workflow; after the static paths above, which these patterns would also match.
    { method: 'GET', pattern: 'workflows/:workflowId', handler: withWorkflow((_, entry) => ok(entry.workflow)) },
    {
      method: 'PUT',
      pattern: 'workflows/:workflowId',
      handler: withWorkflow(({ orgId, body }, entry) => {
        const input = pick(fieldsOf(body));
        const { workflow } = entry;
        // Only the fields sent change, yet the result must still be a valid definition.
        const merged = { ...pick({ ...workflow, authorization_id: entry.authorizationId }), ...input };
        const errors = validateWorkflow(merged, { authorizationIds: authorizationIds(orgId) });
        if (hasErrors(errors)) return invalid(errors);
        Object.assign(workflow, definition(input, workflow), { updated_at: stamp() });
        if (typeof input.authorization_id === 'string') entry.authorizationId = input.authorization_id;
        return ok(workflow);
      }),
    },
    {
      method: 'DELETE',
      pattern: 'workflows/:workflowId',
      handler: withWorkflow((_, entry) => {
        store.deleteWorkflow(entry.workflow.id);
        return noContent;
      }),
    },
    {
      method: 'GET',
      pattern: 'workflows/:workflowId/executions',
      handler: withWorkflow(({ query }, entry) => {
        const rawPage = query.get('page');
        if (rawPage === null) return executionsPage(entry, 1);
        const page = Number(rawPage);
        if (!/^[1-9][0-9]*$/.test(rawPage) || !Number.isSafeInteger(page)) return invalidField('page', PAGE_ERROR);
        return executionsPage(entry, page);
      }),
    },
    {
      method: 'POST',
      pattern: 'workflows/:workflowId/execute',
      handler: idempotent(
        withWorkflow(({ body }, entry) => {
          const input = fieldsOf(body);
          const errors = validateContext(input);
          if (hasErrors(errors)) return invalid(errors);
          return startWith(entry, fieldsOf(input.context), 202);
        }),
      ),
    },
    { method: 'GET', pattern: 'workflows/:workflowId/logs', handler: withWorkflow((_, entry) => ok(store.logsOf([entry]))) },
    { method: 'GET', pattern: 'workflows/:workflowId/logs/stats', handler: withWorkflow((_, entry) => stats(entry)) },
  ];
}

