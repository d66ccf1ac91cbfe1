/**
 * Subscriptions as a frontend opens them, over either transport, behind one shape: graphql-sse's
 * client (GraphQL over Server-Sent Events, the token in the Authorization header) or graphql-ws's
 * (the GraphQL over WebSocket protocol, the token in the connection_init payload). A watch
 * collects what arrives and how the stream ended, so a test reads the same facts from both.
 * Waits are bounded (wait.ts): they fail with a message after a generous timeout instead of hanging.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { wsClient } from './websocket.js';

export type Transport = 'sse' | 'ws';
export const TRANSPORTS: Transport[] = ['sse', 'ws'];

/** How a stream ended: completed by the server, or an error (its code when the error had one). */
export type Ending = { kind: 'complete' } | { kind: 'error'; code: string | undefined; detail: unknown };

export interface Watch<T> {
  /** Every `data` payload, in order. */
  readonly events: T[];
  /** Every error code that arrived, in a payload's errors or as the stream's error. */
  readonly codes: Array<string | undefined>;
  /** Resolves once the stream completed or failed. */
  readonly ended: Promise<Ending>;
  /** Whether `ended` has resolved. */
  isOpen(): boolean;
  /** Unsubscribes (and closes the client); safe to call twice. */
  close(): Promise<void>;
}

export interface WatchOptions {
  /** The `Authorization` value; null sends none. */
  authorization: string | null;
  variables?: Record<string, unknown>;
}

interface Result<T> {
  data?: T | null;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
}

/** A GraphQL error's code, or `close <code>` when the WebSocket itself was closed (e.g. `close 4401`). */
const codeOf = (error: unknown): string | undefined => {
  if (error instanceof Object && 'code' in error && typeof error.code === 'number' && 'reason' in error) return `close ${error.code}`;
  const first = Array.isArray(error) ? (error[0] as { extensions?: { code?: unknown } } | undefined) : undefined;
  const code = first?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Opens one subscription over `transport` to the gateway at `url` (its http://.../graphql). */
export function watch<T = any>(transport: Transport, url: string, query: string, { authorization, variables = {} }: WatchOptions): Watch<T> {
  const events: T[] = [];
  const codes: Array<string | undefined> = [];
  let open = true;
  let settle!: (ending: Ending) => void;
  const ended = new Promise<Ending>((resolve) => (settle = resolve));
  const finish = (ending: Ending) => {
    if (!open) return;
    open = false;
    settle(ending);
  };
  const sink = {
    next(result: Result<T>) {
      if (result.data) events.push(result.data);
      for (const error of result.errors ?? []) codes.push(error.extensions?.code as string | undefined);
    },
    error(error: unknown) {
      const code = codeOf(error);
      codes.push(code);
      finish({ kind: 'error', code, detail: error });
    },
    complete() {
      finish({ kind: 'complete' });
    },
  };

  let dispose: () => void | Promise<void>;
  if (transport === 'sse') {
    const client = createSseClient({ url, headers: authorization === null ? {} : { authorization }, retryAttempts: 0 });
    const unsubscribe = client.subscribe<T>({ query, variables }, sink);
    dispose = () => {
      unsubscribe();
      client.dispose();
    };
  } else {
    const client = wsClient(url, authorization === null ? {} : { authorization });
    const unsubscribe = client.subscribe<T>({ query, variables }, sink);
    dispose = async () => {
      unsubscribe();
      await client.dispose();
    };
  }
  return {
    events,
    codes,
    ended,
    isOpen: () => open,
    async close() {
      await dispose();
      finish({ kind: 'complete' });
    },
  };
}

/** Resolves with how `w` ended; fails after `timeoutMs`. */
export async function endOf(w: Watch<unknown>, timeoutMs = 15_000): Promise<Ending> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out waiting for the stream to end')), timeoutMs);
  });
  try {
    return await Promise.race([w.ended, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const EXECUTION_UPDATED = /* GraphQL */ `
  subscription Updated($id: ID!) {
    executionUpdated(id: $id) {
      id
      status
      logs {
        nodeId
        status
      }
    }
  }
`;

export const EXECUTION_STARTED = /* GraphQL */ `
  subscription Started($workflowId: ID!) {
    executionStarted(workflowId: $workflowId) {
      id
      status
    }
  }
`;

export interface RunEvent {
  executionUpdated: { id: string; status: string; logs: Array<{ nodeId: string; status: string }> };
}
export interface StartedEvent {
  executionStarted: { id: string; status: string };
}

/** The statuses of a run's events, with repeats of the same status folded. */
export function statusesOf(events: RunEvent[]): string[] {
  const statuses: string[] = [];
  for (const { executionUpdated: run } of events) if (statuses.at(-1) !== run.status) statuses.push(run.status);
  return statuses;
}

