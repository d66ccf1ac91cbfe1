/**
 * What keeps hostile or careless queries from hurting the gateway or Altostrat, in the order the
 * plugins act: trusted documents when configured (on the operation's parameters, which WebSocket
 * operations pass through too: websocket.ts), HTTP-level checks (CSRF, body size; a WebSocket
 * message has the same size limit), then document limits at validation
 * (graphql-armor: tokens, depth, aliases, directives; introspection when switched off), then the
 * upstream-call budget at execution, where variables are known.
 */
import type { Plugin } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { readFileSync } from 'node:fs';
import { defaultExtractPersistedOperationId, usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { ConfigError, type Config } from './config.js';
import { timingSafeEqual } from 'node:crypto';
import {
  getOperationAST,
  getVariableValues,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type ValidationContext,
  type DocumentNode,
} from 'graphql';
import { estimateUpstreamCalls, UnknownCostError } from './cost.js';
import { codedError, ErrorCode } from './errors.js';
import type { PageSizeMemory } from './upstream/page-size.js';

/** Runs per page assumed by the cost estimate until the upstream has said (Altostrat's usual). */
const ASSUMED_PAGE_SIZE = 15;

export function protectionPlugins(config: Config, pageSize: PageSizeMemory, trusted: Map<string, string> | undefined): Plugin[] {
  return [
    ...(trusted ? [useTrustedDocuments(trusted)] : []),
    // Browsers cannot send a JSON POST or a custom header cross-site without a CORS preflight.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'authorization'] }),
    useBodyLimit(config.maxBodyBytes),
    maxTokensPlugin({ n: config.maxTokens }),
    maxDepthPlugin({ n: config.maxDepth }),
    maxAliasesPlugin({ n: config.maxAliases }),
    maxDirectivesPlugin({ n: config.maxDirectives }),
    ...(config.introspection ? [] : [useNoIntrospection(), blockFieldSuggestionsPlugin(), useServiceSdlGate(config.routerSecret)]),
    useUpstreamCallBudget(config.maxUpstreamCalls, pageSize),
  ] as Plugin[];
}

/**
 * Trusted documents: a manifest `{ "<id>": "<document>" }` (what graphql-codegen's client preset
 * writes as persisted-documents.json, ids like `sha256:<hex>`); only its documents run. A client
 * sends `{"documentId": "<id>"}` or Apollo's `extensions.persistedQuery.sha256Hash`.
 */
export function loadTrustedDocuments(path: string): Map<string, string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PERSISTED_DOCUMENTS must name a readable JSON manifest, got "${path}" (${(error as Error).message})`);
  }
  const entries = manifest && typeof manifest === 'object' && !Array.isArray(manifest) ? Object.entries(manifest) : [];
  if (entries.length === 0 || !entries.every(([, document]) => typeof document === 'string')) {
    throw new ConfigError(`PERSISTED_DOCUMENTS must be a JSON object of document ids to documents, got "${path}"`);
  }
  return new Map(entries as Array<[string, string]>);
}

/** The operation names of a trusted-documents manifest. */
export function trustedOperationNames(documents: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const document of documents.values()) {
    for (const definition of parse(document).definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
    }
  }
  return names;
}

/**
 * With introspection off, `__schema` and `__type` are refused at validation (graphql-js's rule,
 * GRAPHQL_VALIDATION_FAILED), which every operation passes whatever its transport: HTTP, SSE or
 * WebSocket. (`__typename` stays: it shows no schema.)
 */
function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * With introspection off, federation's `_service { sdl }` would still hand out the whole schema.
 * It then answers only a router that sends `X-Router-Secret: <ROUTER_SECRET>`; without
 * ROUTER_SECRET it answers nobody. Checked at validation, on every `_service` the document names
 * (behind a directive or a fragment too), so nothing can hide it.
 */
function useServiceSdlGate(routerSecret: string | undefined): Plugin {
  const allowed = (request: Request | undefined) => {
    const given = request?.headers.get('x-router-secret');
    return routerSecret !== undefined && given !== null && given !== undefined && safeEqual(given, routerSecret);
  };
  return {
    onValidate({ addValidationRule, context }) {
      if (allowed((context as { request?: Request }).request)) return;
      addValidationRule((validation: ValidationContext) => ({
        Field(node: FieldNode) {
          if (node.name.value !== '_service' || validation.getParentType() !== validation.getSchema().getQueryType()) return;
          validation.reportError(
            codedError(ErrorCode.FORBIDDEN, 'The schema is not public here: a federation router sends `X-Router-Secret`.', {}),
          );
        },
      }));
    },
  };
}

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function useTrustedDocuments(documents: Map<string, string>): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: (params, request, context) => {
      const { documentId } = params as { documentId?: unknown };
      return typeof documentId === 'string' ? documentId : defaultExtractPersistedOperationId(params, request, context);
    },
    getPersistedOperation: (id) => documents.get(id) ?? documents.get(`sha256:${id}`) ?? null,
    customErrors: {
      persistedQueryOnly: {
        message: 'This gateway runs trusted documents only: send a `documentId` from the manifest instead of a query.',
        extensions: { code: ErrorCode.PERSISTED_QUERY_ONLY },
      },
      notFound: {
        message: 'No trusted document has this id: regenerate the manifest with the client preset and deploy it.',
        extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_FOUND },
      },
    },
  });
}

/** Refuses a body over the limit before reading it; a POST must say its length. */
function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'POST') return;
      const length = request.headers.get('content-length');
      const refuse = (status: number, message: string) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.BAD_USER_INPUT } }] }), {
            status,
            headers: { 'content-type': 'application/json' },
          }),
        );
      if (length === null) refuse(411, 'Send the request body with a Content-Length header.');
      else if (Number(length) > maxBytes) refuse(413, `The request body is ${length} bytes; the limit is ${maxBytes}.`);
    },
  };
}

/**
 * graphql-js names a variable that does not fit its type with the whole value it got
 * (`Variable "$input" got invalid value { name: ..., secret: "..." }; Field "x" is not defined`),
 * which would echo a vault secret back. Keep the variable, the path and the reason only.
 */
export function withoutValue(message: string): string {
  const variable = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)"/.exec(message)?.[1];
  const reasonAt = message.lastIndexOf('; ');
  if (variable === undefined || reasonAt < 0) return message;
  const head = message.slice(0, reasonAt);
  const at = / at "([^"]*)"$/.exec(head)?.[1];
  return `Variable "$${variable}" got an invalid value${at === undefined ? '' : ` at "${at}"`}: ${message.slice(reasonAt + 2)}`;
}

/**
 * Estimates per document (Yoga's parse cache hands the same DocumentNode to every request of the
 * same text) and per variables and page size: a busy client repeats a few shapes. Bounded per
 * document, and gone with the document.
 */
class EstimateCache {
  static readonly PER_DOCUMENT = 64;
  readonly #byDocument = new WeakMap<DocumentNode, Map<string, number>>();

  get(document: DocumentNode, key: string, estimate: () => number): number {
    let known = this.#byDocument.get(document);
    if (!known) this.#byDocument.set(document, (known = new Map<string, number>()));
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const value = estimate();
    if (known.size >= EstimateCache.PER_DOCUMENT) known.delete(known.keys().next().value!);
    known.set(key, value);
    return value;
  }
}

/**
 * Refuses, before any upstream call, an operation that could cost more calls than the budget. The
 * estimate sees the operation as it will run (coerced variables, defaults, `@include`/`@skip`);
 * an operation it cannot estimate is refused, never let through. Subscriptions are estimated on
 * their first event's selection the same way.
 */
function useUpstreamCallBudget(maxCalls: number, pageSize: PageSizeMemory): Plugin {
  const estimates = new EstimateCache();
  const refusal = (args: ExecutionArgs): ExecutionResult | undefined => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return undefined; // execution reports it
    const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 10 });
    if (coerced.errors) return { errors: coerced.errors.map((e) => codedError(ErrorCode.BAD_USER_INPUT, withoutValue(e.message))) };
    const perPage = pageSize.perPage ?? ASSUMED_PAGE_SIZE;
    let estimate: number;
    try {
      estimate = estimates.get(args.document, `${args.operationName ?? ''}|${perPage}|${JSON.stringify(coerced.coerced)}`, () =>
        estimateUpstreamCalls({
          schema: args.schema,
          document: args.document,
          operationName: args.operationName,
          variables: coerced.coerced,
          perPage,
        }),
      );
    } catch (error) {
      const reason = error instanceof UnknownCostError ? error.message : 'the estimate failed';
      return { errors: [codedError(ErrorCode.BAD_USER_INPUT, `This operation cannot be run: ${reason}.`)] };
    }
    if (estimate <= maxCalls) return undefined;
    return {
      errors: [
        codedError(
          ErrorCode.BAD_USER_INPUT,
          `This query could need up to ${estimate} calls to Altostrat; the limit is ${maxCalls}. ` +
            'Ask for fewer items (smaller `first`/`last`) or fewer nested connections, and page through the rest.',
          { cost: { estimate, limit: maxCalls } },
        ),
      ],
    };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
