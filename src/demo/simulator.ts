// An in-process stand-in for Altostrat's workflow REST API (/work/shared/ALTOSTRAT_API.md) on real
// HTTP: the four read endpoints, Laravel's paginator envelope and error bodies, bearer-token auth
// per organisation. `npm start` serves it as the demo upstream and the integration tests drive it
// (call log, faults, latency, runs arriving at the head of a list). It is the other side of the
// wire, so it imports nothing from the gateway and speaks only the upstream's snake_case JSON.

import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildRun, ulid, createRng, createSeed, DEMO_TOKENS, SEED_NOW } from './seed.js';
import type { RunJson, WorkflowJson } from './seed.js';

export interface RecordedCall {
  method: string;
  /** Pathname only, as received (still percent-encoded). */
  path: string;
  /** `?page=` as a number (NaN when it is not numeric), null when absent. */
  page: number | null;
  /** The raw `Authorization` header as received. */
  authorization: string | undefined;
  /** The `x-request-id` header. */
  requestId: string | undefined;
}

export type Fault =
  /** Answer with this status; `body` is sent verbatim, by default a Laravel `{"message": ...}`. */
  | { status: number; body?: string; headers?: Record<string, string> }
  /** Accept the request and never answer (until close()). */
  | { kind: 'stall' }
  /** Send the status line, headers and part of the body, then destroy the socket. */
  | { kind: 'reset' }
  /** 200 `application/json` whose body is not JSON. */
  | { kind: 'malformed' }
  /** 500 with Laravel's HTML error page. */
  | { kind: 'html500' }
  /** 200 with valid JSON of the wrong shape: `{"data": "oops"}` for lists, objects without `id`. */
  | { kind: 'wrongShape' };

export interface SimulatorOptions {
  /** per_page of executions pages, default 15. */
  pageSize?: number;
  /** List items carry `logs`, default true; when false they have no `logs` key at all. */
  inlineLogs?: boolean;
  /** GET /workflows items include nodes and edges, default false (the reference allows leaving them out). */
  listWorkflowGraph?: boolean;
  /** Delay before every answer, default 0. */
  latencyMs?: number;
  /** Consulted for every request after it is recorded. */
  fault?: (call: RecordedCall) => Fault | undefined;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

export type RuntimeOptions = Omit<SimulatorOptions, 'host' | 'port'>;

export interface Simulator {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:54321. */
  readonly url: string;
  /** Every request received, in order. */
  readonly calls: RecordedCall[];
  clearCalls(): void;
  /** Changes options at run time; a key given as undefined goes back to its default. */
  configure(options: Partial<RuntimeOptions>): void;
  /** Adds completed runs at the head, each later than every run so far; returns them newest first. */
  insertRuns(workflowId: string, count: number): RunJson[];
  /** Adds `copies` workflows like this one (same organisation, graph and number of runs, new ids); for load. */
  cloneWorkflow(workflowId: string, copies: number): WorkflowJson[];
  /** Ground truth, newest first (a copy). */
  runsOf(workflowId: string): RunJson[];
  /** Ground truth for the token's organisation (copies, with nodes and edges); [] for other tokens. */
  workflowsOf(token: string): WorkflowJson[];
  /** Closes the server and destroys open sockets, stalled ones too. */
  close(): Promise<void>;
}

interface Settings {
  pageSize: number;
  inlineLogs: boolean;
  listWorkflowGraph: boolean;
  latencyMs: number;
  fault: ((call: RecordedCall) => Fault | undefined) | undefined;
}

function settle(options: RuntimeOptions): Settings {
  const settings = {
    pageSize: options.pageSize ?? 15,
    inlineLogs: options.inlineLogs ?? true,
    listWorkflowGraph: options.listWorkflowGraph ?? false,
    latencyMs: options.latencyMs ?? 0,
    fault: options.fault,
  };
  if (!Number.isInteger(settings.pageSize) || settings.pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${settings.pageSize}`);
  if (!(settings.latencyMs >= 0)) throw new RangeError(`latencyMs must be 0 or more, got ${settings.latencyMs}`);
  return settings;
}

interface Entry {
  orgId: string;
  workflow: WorkflowJson;
  runs: RunJson[];
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const message = (status: number, text: string, extra: object = {}): Answer => ({ status, body: { message: text, ...extra } });

// What Laravel's exception handler says for a status when the app gives no message of its own.
const LARAVEL_MESSAGES: Partial<Record<number, string>> = {
  401: 'Unauthenticated.',
  403: 'This action is unauthorized.',
  429: 'Too Many Attempts.',
  500: 'Server Error',
};
const laravelMessage = (status: number): string => LARAVEL_MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error';

const LARAVEL_HTML_500 = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Server Error</title></head>
<body class="antialiased"><div class="flex items-center"><div class="px-4 text-lg border-r">500</div><div class="ml-4 text-lg uppercase">Server Error</div></div></body>
</html>
`;

const PAGE_ERROR = 'The page field must be an integer.';

/** More than any test makes; a demo upstream running for days keeps its memory flat. */
const MAX_RECORDED_CALLS = 20_000;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { host = '127.0.0.1', port = 0, ...runtime } = options;
  let settings = settle(runtime);

  // createSeed() builds fresh objects on every call, so each simulator mutates only its own copy.
  const seed = createSeed();
  const orgByToken = new Map(seed.organisations.map((org) => [org.token, org.id]));
  const entries = new Map<string, Entry>(seed.workflows.map((entry) => [entry.workflow.id, entry]));
  const runIndex = new Map<string, { entry: Entry; run: RunJson }>();
  for (const entry of entries.values()) for (const run of entry.runs) runIndex.set(run.id, { entry, run });

  // Inserted runs come from their own seeded stream and start after the seed's "now", so they are
  // newer than every seeded run and identical from one test run to the next.
  const rng = createRng(0x1a7e);
  let clock = SEED_NOW;

  const calls: RecordedCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let url = '';

  function entryOf(workflowId: string): Entry {
    const entry = entries.get(workflowId);
    if (!entry) throw new Error(`No workflow ${workflowId} in the simulator`);
    return entry;
  }

  // A timer cleared by close() leaves its promise pending forever; nothing holds the process open.
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function listItem(run: RunJson): Omit<RunJson, 'logs'> & { logs?: RunJson['logs'] } {
    if (settings.inlineLogs) return run;
    const { logs: _logs, ...rest } = run;
    return rest;
  }

  function executionsPage(entry: Entry, page: number): Answer {
    const perPage = settings.pageSize;
    const total = entry.runs.length;
    const lastPage = Math.max(1, Math.ceil(total / perPage));
    const offset = (page - 1) * perPage;
    const data = entry.runs.slice(offset, offset + perPage).map(listItem);
    const path = `${url}/workflows/${encodeURIComponent(entry.workflow.id)}/executions`;
    const pageUrl = (n: number) => `${path}?page=${n}`;
    return {
      status: 200,
      body: {
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
      },
    };
  }

  function answer(method: string, target: URL, authorization: string | undefined): Answer {
    const routeName = target.pathname.replace(/^\//, '');
    let segments: string[];
    try {
      segments = target.pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return message(404, `The route ${routeName} could not be found.`);
    }
    const [root, a, b, ...rest] = segments;
    const route =
      root !== 'workflows' || rest.length > 0
        ? undefined
        : a === undefined
          ? ({ kind: 'list' } as const)
          : a === 'runs' && b
            ? ({ kind: 'run', id: b } as const)
            : a && b === undefined
              ? ({ kind: 'workflow', id: a } as const)
              : a && b === 'executions'
                ? ({ kind: 'executions', id: a } as const)
                : undefined;

    // Laravel matches the route, then the method, then runs the auth middleware.
    if (!route) return message(404, `The route ${routeName} could not be found.`);
    if (method !== 'GET') {
      return { ...message(405, `The ${method} method is not supported for route ${routeName}. Supported methods: GET.`), headers: { allow: 'GET' } };
    }
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (token === DEMO_TOKENS.suspended) return message(403, laravelMessage(403));
    const orgId = token === undefined ? undefined : orgByToken.get(token);
    if (orgId === undefined) return message(401, laravelMessage(401));

    switch (route.kind) {
      case 'list': {
        const workflows = [...entries.values()].filter((entry) => entry.orgId === orgId).map((entry) => entry.workflow);
        return {
          status: 200,
          body: settings.listWorkflowGraph ? workflows : workflows.map(({ nodes: _nodes, edges: _edges, ...rest }) => rest),
        };
      }
      case 'run': {
        const found = runIndex.get(route.id);
        if (!found || found.entry.orgId !== orgId) return message(404, 'Run not found.');
        return { status: 200, body: { ...found.run, workflow: { id: found.entry.workflow.id, name: found.entry.workflow.name } } };
      }
      case 'workflow':
      case 'executions': {
        const entry = entries.get(route.id);
        if (!entry || entry.orgId !== orgId) return message(404, 'Workflow not found.');
        if (route.kind === 'workflow') return { status: 200, body: entry.workflow };
        const rawPage = target.searchParams.get('page');
        if (rawPage === null) return executionsPage(entry, 1);
        const page = Number(rawPage);
        if (!/^[1-9][0-9]*$/.test(rawPage) || !Number.isSafeInteger(page)) {
          return message(422, PAGE_ERROR, { errors: { page: [PAGE_ERROR] } });
        }
        return executionsPage(entry, page);
      }
    }
  }

  function send(res: ServerResponse, { status, body, headers }: Answer): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }

  function inject(res: ServerResponse, fault: Exclude<Fault, { kind: 'stall' }>, normal: () => Answer): void {
    if ('status' in fault) {
      const body = fault.body ?? JSON.stringify({ message: laravelMessage(fault.status) });
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(body);
      return;
    }
    switch (fault.kind) {
      case 'reset': {
        const { status, body } = normal();
        const text = JSON.stringify(body);
        // The full Content-Length is announced so the client knows the body was cut short.
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.write(text.slice(0, Math.ceil(text.length / 2)), () => res.destroy());
        return;
      }
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [{"id": "fl_run_01k8x246q8q8e4mzfw3045a8ch", "status": "completed",');
        return;
      case 'html500':
        res.writeHead(500, { 'content-type': 'text/html; charset=UTF-8' }).end(LARAVEL_HTML_500);
        return;
      case 'wrongShape': {
        const { status, body } = normal();
        const isObject = status === 200 && typeof body === 'object' && body !== null && !Array.isArray(body) && !('meta' in body);
        send(res, { status: 200, body: isObject ? { ...body, id: undefined } : { data: 'oops' } });
        return;
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = new URL(req.url ?? '/', url);
    const rawPage = target.searchParams.get('page');
    const requestId = req.headers['x-request-id'];
    const call: RecordedCall = {
      method,
      path: target.pathname,
      page: rawPage === null ? null : Number(rawPage),
      authorization: req.headers.authorization,
      requestId: Array.isArray(requestId) ? requestId[0] : requestId,
    };
    calls.push(call);
    // A long-running demo must not grow without end: drop the older half now and then.
    if (calls.length > MAX_RECORDED_CALLS) calls.splice(0, MAX_RECORDED_CALLS / 2);
    const fault = settings.fault?.(call);
    if (settings.latencyMs > 0) await sleep(settings.latencyMs);
    if (closed || (fault && 'kind' in fault && fault.kind === 'stall')) return;
    const normal = () => answer(method, target, call.authorization);
    if (fault) inject(res, fault, normal);
    else send(res, normal());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug here should reach the test that triggered it, not hang it.
      if (!res.headersSent) send(res, message(500, `Simulator error: ${String(error)}`));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let closing: Promise<void> | undefined;

  return {
    url,
    calls,
    clearCalls() {
      calls.length = 0;
    },
    configure(changes) {
      settings = settle({ ...settings, ...changes });
    },
    insertRuns(workflowId, count) {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
      const entry = entryOf(workflowId);
      const fresh: RunJson[] = [];
      for (let i = 0; i < count; i++) {
        const run = buildRun(entry.workflow, clock + 1000, 'completed', rng);
        clock = Date.parse(run.completed_at ?? run.started_at ?? '');
        fresh.unshift(run);
        runIndex.set(run.id, { entry, run });
      }
      entry.runs.unshift(...fresh);
      return structuredClone(fresh);
    },
    cloneWorkflow(workflowId, copies) {
      const source = entryOf(workflowId);
      const added: WorkflowJson[] = [];
      for (let i = 1; i <= copies; i++) {
        const workflow = { ...structuredClone(source.workflow), id: `fl_${ulid(clock, rng)}`, name: `${source.workflow.name} (${i + 1})` };
        const runs = source.runs.map((run) => buildRun(workflow, Date.parse(run.started_at ?? '') || SEED_NOW, run.status, rng));
        const entry = { orgId: source.orgId, workflow, runs };
        entries.set(workflow.id, entry);
        for (const run of runs) runIndex.set(run.id, { entry, run });
        added.push(structuredClone(workflow));
      }
      return added;
    },
    runsOf(workflowId) {
      return structuredClone(entryOf(workflowId).runs);
    },
    workflowsOf(token) {
      const orgId = orgByToken.get(token);
      return [...entries.values()].filter((entry) => entry.orgId === orgId).map((entry) => structuredClone(entry.workflow));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
