/** With INTROSPECTION=false: no schema introspection, and federation's SDL only for the router. */
import { timingSafeEqual } from 'node:crypto';
import { NoSchemaIntrospectionCustomRule, type FieldNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { codedError, ErrorCode } from '../errors.js';

/**
 * With introspection off, `__schema` and `__type` are refused at validation (graphql-js's rule,
 * GRAPHQL_VALIDATION_FAILED), which every operation passes whatever its transport: HTTP, SSE or
 * WebSocket. (`__typename` stays: it shows no schema.)
 */
export function useNoIntrospection(): Plugin {
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
export function useServiceSdlGate(routerSecret: string | undefined): Plugin {
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

