/**
 * The upstream-call budget at execution, where variables are known (docs/guarantees.md, "The
 * upstream-call budget"): an operation whose estimate (estimate.ts) exceeds MAX_UPSTREAM_CALLS is
 * refused before any call, and so is one the estimate cannot cost.
 *
 * The operation is picked by the executor's own rule (graphql's `getOperationAST`: the named one,
 * or the only one), and the estimate is given that node, so both always see the same operation.
 * Variables are coerced here and again by the executor: neither Yoga nor graphql-jit takes values
 * already coerced (jit's compiled query always coerces its raw variables, and coerced enum values
 * are the upstream's words, which would not coerce twice), so the two coercions are of the same
 * raw values by the same schema, and agree.
 */
import type { Plugin } from 'graphql-yoga';
import { getOperationAST, getVariableValues, GraphQLError, OperationTypeNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { inspect } from 'graphql/jsutils/inspect.js';
import { codedError, ErrorCode } from '../errors.js';
import type { ListMemory } from '../upstream/list-memory.js';
import { EstimateCache } from './cache.js';
import { estimateUpstreamCalls, UnknownCostError } from './estimate.js';
import { checkResultSize } from './result-size.js';

/**
 * Runs per page the estimate counts with until Altostrat has said how many its pages hold: the size
 * its reference shows. A guess for the estimate only, which the count at run time bounds (docs/
 * guarantees.md, "The upstream-call budget"); no page is ever planned with it. Counting pages of
 * one run instead would refuse, on a process that has read no list yet, fan-outs that cost a few
 * calls, and keep refusing them, since a refusal reads no list to learn from.
 */
const PAGE_SIZE_UNHEARD = 15;

/** The value at a path graphql-js prints (`i.graph.nodes[0].data`: the variable's name first). */
function valueAt(variables: Readonly<Record<string, unknown>>, printed: string): unknown {
  let value: unknown = variables;
  for (const [, key, index] of printed.matchAll(/\.?([^.[\]]+)|\[(\d+)\]/g)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key ?? index!];
  }
  return value;
}

/**
 * graphql-js names a variable that does not fit its type with the whole value it got
 * (`Variable "$input" got invalid value { name: ..., secret: "..." }; Field "x" is not defined`),
 * and a scalar's reason repeats the part that did not fit (`String cannot represent a non string
 * value: 918273645`), either of which would echo a vault secret back. Keep the variable, the path
 * and the reason only, without that part. The message is taken apart by what graphql-js put in
 * it (its prefix, then `; ` and the reason, the error's original error), never by searching the
 * text, which holds the value; one that cannot be taken apart so says only which variable it was.
 */
function withoutValue(error: GraphQLError, variables: Readonly<Record<string, unknown>>): string {
  const variable = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)" got invalid value /.exec(error.message)?.[1];
  if (variable === undefined) return error.message; // not provided, or null where it may not be: no value in it
  const reason = error.originalError?.message;
  if (reason === undefined || !error.message.endsWith(`; ${reason}`)) return `Variable "$${variable}" got an invalid value.`;
  const prefix = error.message.slice(0, -(reason.length + 2));
  // The path comes last, quoted; an inspected value cannot end so (its own quotes are escaped).
  const at = new RegExp(` at "(${variable}(?:\\.[_A-Za-z][_0-9A-Za-z]*|\\[\\d+\\])*)"$`).exec(prefix)?.[1];
  const part = valueAt(variables, at ?? variable);
  // A scalar's reason ends with `: <value>`; an enum's starts with `Value <value> does not exist`.
  const told = part === undefined ? reason : reason.replaceAll(`: ${inspect(part)}`, '').replaceAll(`Value ${inspect(part)} `, 'The value sent ');
  return `Variable "$${variable}" got an invalid value${at === undefined ? '' : ` at "${at}"`}: ${told}`;
}

/**
 * Refuses, before any upstream call, an operation that could cost more calls than the budget. The
 * estimate sees the operation as it will run (coerced variables, defaults, `@include`/`@skip`);
 * an operation it cannot estimate is refused, never let through. Subscriptions are estimated on
 * their first event's selection the same way.
 */
export function useUpstreamCallBudget(maxCalls: number, lists: ListMemory): Plugin {
  const estimates = new EstimateCache();
  const refusal = (args: ExecutionArgs): ExecutionResult | undefined => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return undefined; // execution reports it
    const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 10 });
    if (coerced.errors) {
      // Each error keeps the variable definition it points at (its `locations`), not the value.
      return { errors: coerced.errors.map((e) => codedError(ErrorCode.BAD_USER_INPUT, withoutValue(e, args.variableValues ?? {}), {}, e.nodes)) };
    }
    const perPage = lists.perPage ?? PAGE_SIZE_UNHEARD;
    // An operation within the calls' limit has its answer's size checked too, with the same
    // variables: a refusal is never cached, so an estimate found in the cache passed it.
    const estimateNow = (variables = coerced.coerced) => {
      const calls = estimateUpstreamCalls({ schema: args.schema, document: args.document, operation, variables, perPage });
      if (calls <= maxCalls) checkResultSize({ schema: args.schema, document: args.document, operation, variables });
      return calls;
    };
    let estimate: number;
    try {
      // Only queries are cached: a write's variables carry its input (vault secrets, whole
      // graphs), which must not outlive the request as a cache key.
      estimate =
        operation.operation === OperationTypeNode.QUERY
          ? estimates.get(args.document, `${args.operationName ?? ''}|${perPage}`, coerced.coerced, estimateNow)
          : estimateNow();
    } catch (error) {
      // A connection's size it would refuse itself (estimate.ts), refused as it would refuse it.
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.BAD_USER_INPUT) return { errors: [error] };
      const reason = error instanceof UnknownCostError ? error.message : 'the estimate failed';
      return { errors: [codedError(ErrorCode.BAD_USER_INPUT, `This operation cannot be run: ${reason}.`)] };
    }
    if (estimate <= maxCalls) return undefined;
    return {
      errors: [
        codedError(
          ErrorCode.BAD_USER_INPUT,
          `This query could need up to ${estimate} calls to Altostrat; the limit is ${maxCalls}. ` +
            'Ask for fewer items (smaller `first`/`last`, fewer federated references) or fewer nested connections, and page through the rest.',
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
