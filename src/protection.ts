/**
 * What keeps hostile or careless queries from hurting the gateway or Altostrat, in the order the
 * plugins act: trusted documents when configured (on the operation's parameters, which WebSocket
 * operations pass through too: websocket.ts), HTTP-level checks (CSRF, body size; a WebSocket
 * message has the same size limit), then document limits at validation (graphql-armor: tokens,
 * depth, aliases, directives; introspection and the SDL when switched off), then the
 * upstream-call budget and the answer's size at execution, where variables are known, and the
 * answer's text when it is written.
 */
import type { Plugin } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Config } from './config.js';
import { useUpstreamCallBudget } from './cost/budget.js';
import type { ListMemory } from './upstream/list-memory.js';
import { useAnswerSizeLimit } from './protection/answer-bytes.js';
import { useBodyLimit } from './protection/body-limit.js';
import { useNoIntrospection, useServiceSdlGate } from './protection/introspection.js';
import { useParseDepthGuard } from './protection/parse-depth.js';
import { useQueryStringErrors } from './protection/query-string.js';
import { useTrustedDocuments } from './protection/trusted-documents.js';

export function protectionPlugins(config: Config, lists: ListMemory, trusted: Map<string, string> | undefined): Plugin[] {
  return [
    ...(trusted ? [useTrustedDocuments(trusted)] : []),
    // Browsers cannot send a JSON POST or a custom header cross-site without a CORS preflight.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'authorization'] }),
    useBodyLimit(config.maxBodyBytes),
    useQueryStringErrors(),
    maxTokensPlugin({ n: config.maxTokens }),
    useParseDepthGuard(),
    // Fields' depth: a fragment is no level of its own (graphql-armor counts a spread as two by
    // default), so documents made of fragments, as Relay and Apollo clients write them, are held to
    // the depth of the fields they reach, not refused for how they are put together.
    maxDepthPlugin({ n: config.maxDepth, flattenFragments: true }),
    // `__typename` counts too (graphql-armor lets it by default): aliased a thousand times over a
    // fragment spread as often, it answers megabytes without a single upstream call.
    maxAliasesPlugin({ n: config.maxAliases, allowList: [] }),
    maxDirectivesPlugin({ n: config.maxDirectives }),
    ...(config.introspection ? [] : [useNoIntrospection(), blockFieldSuggestionsPlugin(), useServiceSdlGate(config.routerSecret)]),
    useUpstreamCallBudget(config.maxUpstreamCalls, lists),
    useAnswerSizeLimit(),
  ] as Plugin[];
}
